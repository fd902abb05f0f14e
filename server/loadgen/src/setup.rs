//! Getting a server ready for a run: the rooms, and who may connect.
//!
//! Confab is prepared through its HTTP API, as a person would: accounts
//! (each holding several connections, since every sign-in costs a password
//! hash), an organization `bench`, one channel per room, and each account
//! invited and joined to its room's channel. The reference server needs
//! nothing: rooms are numbers, and anyone may connect.

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use serde_json::Value;

/// The server under test.
#[derive(Clone, Debug)]
pub enum Target {
    /// Confab at this base URL (`http://host:port`).
    Confab(String),
    /// The reference Node Socket.IO server at this base URL.
    Reference(String),
}

impl Target {
    pub fn base(&self) -> &str {
        match self {
            Target::Confab(url) | Target::Reference(url) => url,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Target::Confab(_) => "confab",
            Target::Reference(_) => "reference",
        }
    }
}

/// The namespace every run uses (Confab: the organization's slug).
pub const NAMESPACE: &str = "/bench";

/// A room ready for a run.
#[derive(Clone, Debug)]
pub struct Room {
    /// Sent as `channel_id` in `join` and `send`.
    pub channel_id: i64,
    /// The cookie of each member connection (none for the reference server).
    pub cookies: Vec<Option<String>>,
}

/// Why the server could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("/api/{call} answered {status}: {body}")]
    Refused { call: String, status: u16, body: String },
    #[error("no session cookie after signing in")]
    NoCookie,
}

/// One account talking to Confab's API.
struct Account {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
}

impl Account {
    fn new(base: &str) -> Result<Self, SetupError> {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Account { http, jar, base: base.to_owned() })
    }

    async fn call(&self, name: &str, form: &[(&str, &str)]) -> Result<Value, SetupError> {
        let res = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await?;
        let status = res.status().as_u16();
        let body = res.text().await?;
        if status >= 400 {
            return Err(SetupError::Refused { call: name.to_owned(), status, body });
        }
        Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    fn cookie(&self) -> Result<String, SetupError> {
        let url = self.base.parse().map_err(|_| SetupError::NoCookie)?;
        let header = self.jar.cookies(&url).ok_or(SetupError::NoCookie)?;
        Ok(header.to_str().map_err(|_| SetupError::NoCookie)?.to_owned())
    }

    async fn register(base: &str, username: &str) -> Result<Self, SetupError> {
        let account = Account::new(base)?;
        account.call("register", &[("username", username), ("password", "load generator password")]).await?;
        Ok(account)
    }
}

/// Prepares `rooms` rooms of `members` connections each; every Confab account
/// holds at most `per_account` of them (the server must allow that many
/// sockets per user).
pub async fn prepare(
    target: &Target,
    rooms: usize,
    members: usize,
    per_account: usize,
) -> Result<Vec<Room>, SetupError> {
    let base = match target {
        Target::Reference(_) => {
            return Ok((1..=rooms as i64)
                .map(|channel_id| Room { channel_id, cookies: vec![None; members] })
                .collect());
        }
        Target::Confab(base) => base,
    };
    let run = std::process::id();
    let owner = Account::register(base, &format!("bench-{run}")).await?;
    owner.call("create_org", &[("name", "Bench"), ("slug", &NAMESPACE[1..])]).await?;
    let invite = owner.call("create_invite", &[("slug", &NAMESPACE[1..])]).await?;
    let token = invite["token"].as_str().unwrap_or_default().to_owned();
    let per_account = per_account.max(1);
    let mut prepared = Vec::with_capacity(rooms);
    for r in 0..rooms {
        let name = format!("room-{r}");
        let channel = owner.call("create_channel", &[("slug", &NAMESPACE[1..]), ("name", &name)]).await?;
        let channel_id = channel["id"].as_i64().unwrap_or_default();
        let mut cookies = Vec::with_capacity(members);
        let mut a = 0;
        while cookies.len() < members {
            let account = Account::register(base, &format!("b{run}-{r}-{a}")).await?;
            account.call("accept_invite", &[("token", &token)]).await?;
            account.call("join_channel", &[("slug", &NAMESPACE[1..]), ("channel", &name)]).await?;
            let cookie = account.cookie()?;
            let take = per_account.min(members - cookies.len());
            cookies.extend(std::iter::repeat_n(Some(cookie), take));
            a += 1;
        }
        prepared.push(Room { channel_id, cookies });
    }
    Ok(prepared)
}
