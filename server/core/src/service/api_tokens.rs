//! Personal API tokens, for bots and scripts: a member makes one (shown
//! once, stored as a hash), passes it as `auth: { token }` from a
//! `socket.io-client` or as `Authorization: Bearer` from a script, and
//! revokes it. A token is a named session that lasts until revoked, so it
//! carries exactly its owner's rights, and revoking it closes the live
//! connections it opened at once, like a sign-out.

use super::{Revoked, Service, fail};
use crate::auth;
use crate::error::{CoreError, CoreResult};
use crate::model::{ApiToken, NewApiToken, User};
use crate::rules;

/// The most tokens one person keeps.
const MAX_API_TOKENS: usize = 20;
/// What every token starts with, so that one pasted somewhere it should not
/// be is easy to recognise (and to search for).
const PREFIX: &str = "confab_";
/// A token's expiry: never (9999-12-31), until revoked.
const NEVER: i64 = 253_402_300_799_000;

impl Service {
    /// Makes a token named `name` for `user`: the token itself is in the
    /// answer and nowhere else.
    pub async fn create_api_token(&self, user: &User, name: &str) -> CoreResult<NewApiToken> {
        let name = rules::token_name(name)?;
        let held = self.store.api_tokens_of(user.id).await.map_err(fail("listing tokens"))?;
        if held.len() >= MAX_API_TOKENS {
            return Err(CoreError::conflict(format!(
                "You have {MAX_API_TOKENS} tokens already; revoke one you no longer use first."
            )));
        }
        let token = format!("{PREFIX}{}", auth::new_token());
        let id = auth::token_hash(&token);
        let created_at =
            self.store.create_api_token(&id, user.id, &name, NEVER).await.map_err(fail("creating a token"))?;
        tracing::info!(user_id = user.id, "API token created");
        Ok(NewApiToken { token, listed: ApiToken { id, name, created_at } })
    }

    /// The user's tokens, newest first (names and dates, never the tokens).
    pub async fn api_tokens(&self, user: &User) -> CoreResult<Vec<ApiToken>> {
        self.store.api_tokens_of(user.id).await.map_err(fail("listing tokens"))
    }

    /// Revokes one of the user's tokens: it stops working at once, and the
    /// live connections it opened close.
    pub async fn revoke_api_token(&self, user: &User, id: &str) -> CoreResult<()> {
        if id.len() > 128 || !self.store.delete_api_token(user.id, id).await.map_err(fail("revoking a token"))? {
            return Err(CoreError::not_found("You have no such token."));
        }
        tracing::info!(user_id = user.id, "API token revoked");
        self.revoke(Revoked::Session { user_id: user.id, token_hash: id.to_owned() });
        Ok(())
    }
}
