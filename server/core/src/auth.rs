//! Credentials: argon2id password hashes and random session/invite tokens.
//!
//! Invariant: a token leaves this module in clear text only to be handed to its
//! owner (cookie, invite link); everything stored is [`token_hash`]ed.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hashing failed (a bug in parameters, not a wrong password).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub(crate) struct HashError(String);

/// The most memory a stored hash may ask for (64 MiB): a hash needing more is
/// refused rather than allowed to grow the server.
const MAX_BLOCKS: usize = 64 * 1024;

/// Hashes and checks passwords with argon2id (the crate's default parameters,
/// OWASP's minimum: 19 MiB, 2 passes), reusing one memory area for every hash
/// instead of allocating 19 MiB each time. Slow on purpose: keep one per
/// hashing thread.
#[derive(Default)]
pub(crate) struct Hasher {
    memory: Vec<Block>,
}

impl Hasher {
    /// The memory for `params`, grown once and then reused.
    fn memory(&mut self, params: &Params) -> Result<&mut [Block], HashError> {
        let blocks = params.block_count();
        if blocks > MAX_BLOCKS {
            return Err(HashError(format!("a hash asks for {blocks} KiB of memory")));
        }
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::default());
        }
        Ok(&mut self.memory[..blocks])
    }

    /// A new PHC-format hash of `password` with a random salt.
    pub(crate) fn hash_password(&mut self, password: &str) -> Result<String, HashError> {
        let err = |e: &dyn std::fmt::Display| HashError(e.to_string());
        let params = Params::default();
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| err(&e))?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, self.memory(&params)?)
            .map_err(|e| err(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| err(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| err(&e))?),
        };
        Ok(phc.to_string())
    }

    /// Checks a password against a stored hash (in constant time); a
    /// malformed or unsupported hash never matches.
    pub(crate) fn verify_password(&mut self, password: &str, hash: &str) -> bool {
        self.try_verify(password, hash).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "a stored password hash cannot be checked");
            false
        })
    }

    fn try_verify(&mut self, password: &str, hash: &str) -> Result<bool, HashError> {
        let err = |e: &dyn std::fmt::Display| HashError(e.to_string());
        let parsed = PasswordHash::new(hash).map_err(|e| err(&e))?;
        let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| err(&e))?;
        let version = parsed.version.map(Version::try_from).transpose().map_err(|e| err(&e))?.unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(|e| err(&e))?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(HashError("the hash has no salt or no output".into()));
        };
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| err(&e))?;
        let mut out = vec![0u8; expected.len()];
        let argon = Argon2::new(algorithm, version, params.clone());
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, self.memory(&params)?)
            .map_err(|e| err(&e))?;
        // `Output`'s equality is constant-time.
        Ok(Output::new(&out).map_err(|e| err(&e))? == expected)
    }

    /// A hash to verify against when the user does not exist, so that a
    /// wrong username takes as long as a wrong password.
    pub(crate) fn dummy_hash(&mut self) -> &'static str {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        if let Some(hash) = DUMMY.get() {
            return hash;
        }
        let hash = self.hash_password("confab-dummy-password").unwrap_or_default();
        DUMMY.get_or_init(|| hash)
    }
}

/// A new random token: 32 bytes from the OS, hex-encoded.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored for a token: its SHA-256, hex-encoded.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let mut hasher = Hasher::default();
        let h = hasher.hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify_password("correct horse", &h));
        assert!(!hasher.verify_password("wrong horse", &h));
        assert!(!hasher.verify_password("correct horse", "not a hash"));
        assert_ne!(hasher.hash_password("correct horse").unwrap(), h, "salted");
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_still_verify() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default().hash_password(b"correct horse", &salt).unwrap().to_string();
        assert!(Hasher::default().verify_password("correct horse", &theirs));
        let ours = Hasher::default().hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
