//! The signed-in state, shared by every page through context: the actions that
//! change it and the `me` resource that follows them.

use leptos::prelude::*;

use crate::api::auth::{Login, Logout, Register, me};
use crate::errors::ApiError;
use crate::protocol::User;

/// Provided once by [`crate::App`]; read with [`use_session`].
#[derive(Clone, Copy)]
pub(crate) struct Session {
    pub login: ServerAction<Login>,
    pub register: ServerAction<Register>,
    pub logout: ServerAction<Logout>,
    /// The signed-in user; refetched after each of the actions above.
    pub me: Resource<Result<Option<User>, ApiError>>,
}

impl Session {
    /// Creates the actions and the resource and provides them as context.
    pub(crate) fn provide() -> Session {
        let login = ServerAction::<Login>::new();
        let register = ServerAction::<Register>::new();
        let logout = ServerAction::<Logout>::new();
        let me =
            Resource::new(move || (login.version().get(), register.version().get(), logout.version().get()), |_| me());
        let session = Session { login, register, logout, me };
        provide_context(session);
        session
    }
}

pub(crate) fn use_session() -> Session {
    expect_context::<Session>()
}
