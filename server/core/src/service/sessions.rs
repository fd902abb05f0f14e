//! Accounts and sessions: registering, signing in (slowed after failures),
//! signing out, and who holds a session.

use std::net::IpAddr;
use std::time::Duration;

use super::audit::Audited;
use super::{Revoked, Service, fail};
use crate::auth;
use crate::error::{CoreError, CoreResult};
use crate::kinds::AuditAction;
use crate::model::{NewSession, Session, User};
use crate::rules;
use crate::store::StoreError;

/// Session lifetime: 30 days.
const SESSION_TTL_SECS: i64 = 30 * 24 * 3600;

/// "8 seconds", "2 minutes": how long to wait, rounded up.
fn wait_in_words(wait: Duration) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    match secs {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

impl Service {
    pub async fn register(&self, username: &str, password: &str, client: IpAddr) -> CoreResult<(User, NewSession)> {
        let username = rules::username(username)?;
        let password = rules::password(password)?.to_owned();
        let hash = self.hash(client, move |h| h.hash_password(&password)).await?.map_err(|e| {
            tracing::error!(error = %e, "hashing password");
            CoreError::Internal
        })?;
        let user = match self.store.create_user(&username, &hash).await {
            Ok(user) => user,
            Err(StoreError::Conflict(_)) => {
                return Err(CoreError::conflict(format!("The username {username} is taken; please choose another.")));
            }
            Err(e) => return Err(fail("creating user")(e)),
        };
        tracing::info!(user_id = user.id, "account created");
        // Signed in from here with a password: a known address from now on.
        self.throttle.succeeded_everywhere(self.shared_limits.as_deref(), &username, client).await;
        self.new_session(user).await
    }

    pub async fn login(&self, username: &str, password: &str, client: IpAddr) -> CoreResult<(User, NewSession)> {
        if username.trim().is_empty() || password.is_empty() {
            return Err(CoreError::invalid("Please enter your username and password."));
        }
        if password.len() > 1024 || username.len() > 256 {
            return Err(CoreError::BadCredentials);
        }
        if let Err(wait) = self.throttle.check_everywhere(self.shared_limits.as_deref(), username, client).await {
            tracing::info!(%client, wait_secs = wait.as_secs_f32().ceil(), "sign-in refused: too many failures");
            return Err(CoreError::rate_limited(format!(
                "Too many failed sign-ins. Please wait {} before trying again.",
                wait_in_words(wait)
            )));
        }
        let row = self.store.user_by_name(username.trim()).await.map_err(fail("looking up user"))?;
        let password = password.to_owned();
        let (user, hash) = match row {
            Some(row) => (Some(row.public()), Some(row.password_hash)),
            None => (None, None),
        };
        // An unknown name costs as much as a wrong password.
        let ok = self
            .hash(client, move |h| match hash {
                Some(hash) => h.verify_password(&password, &hash),
                None => {
                    let dummy = h.dummy_hash();
                    h.verify_password(&password, dummy)
                }
            })
            .await?;
        match user {
            Some(user) if ok => {
                self.throttle.succeeded_everywhere(self.shared_limits.as_deref(), username, client).await;
                tracing::info!(user_id = user.id, "signed in");
                let this = self.clone();
                self.to_the_end("signing in", async move {
                    let what = Audited { org_id: None, action: AuditAction::SignedIn, subject: "", detail: "" };
                    this.audit(&user, client, what).await;
                    this.new_session(user).await
                })
                .await
            }
            _ => {
                self.throttle.failed_everywhere(self.shared_limits.as_deref(), username, client).await;
                tracing::info!(%client, "sign-in failed: wrong username or password");
                Err(CoreError::BadCredentials)
            }
        }
    }

    pub async fn logout(&self, token: &str) -> CoreResult<()> {
        let token_hash = auth::token_hash(token);
        let user_id = self.store.delete_session(&token_hash).await.map_err(fail("revoking session"))?;
        if let Some(user_id) = user_id {
            tracing::info!(user_id, "signed out");
            self.revoke(Revoked::Session { user_id, token_hash });
        }
        Ok(())
    }

    /// The holder of a session token, if it is a session that has not ended
    /// (a browser's sign-in or a personal API token).
    pub async fn session_user(&self, token: &str) -> CoreResult<Option<User>> {
        Ok(self.session(token).await?.map(|s| s.user))
    }

    /// The holder of a session token and what kind of session it is, if it
    /// has not ended.
    pub async fn session(&self, token: &str) -> CoreResult<Option<Session>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        self.store.session(&auth::token_hash(token)).await.map_err(fail("checking session"))
    }

    async fn new_session(&self, user: User) -> CoreResult<(User, NewSession)> {
        let token = auth::new_token();
        self.store
            .create_session(&auth::token_hash(&token), user.id, SESSION_TTL_SECS * 1000)
            .await
            .map_err(fail("creating session"))?;
        Ok((user, NewSession { token, max_age_secs: SESSION_TTL_SECS }))
    }
}
