//! A database that is down: every use case answers with a clear "unavailable"
//! error instead of a panic or a half-done change.

use std::net::{IpAddr, Ipv4Addr};

use confab_core::Store;
use confab_core::kinds::ChannelKind;
use confab_core::{CoreError, Service};

const HOME: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn new_service(store: Store) -> Service {
    Service::new(store, 10)
}

#[tokio::test]
async fn a_closed_database_is_reported_plainly() {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", data.path().join("confab.db").display());
    let store = Store::connect(&url).await.unwrap();
    let service = new_service(store.clone());
    let (user, _session) = service.register("dora", "correct horse battery", HOME).await.unwrap();
    service.create_org(&user, "Acme", "acme").await.unwrap();
    let standing = service.standing(&user, "acme").await.unwrap();

    store.close().await;

    for result in [
        service.register("eve", "correct horse battery", HOME).await.map(|_| ()),
        service.login("dora", "correct horse battery", HOME).await.map(|_| ()),
        service.list_orgs(user.id).await.map(|_| ()),
        service.standing(&user, "acme").await.map(|_| ()),
        service.create_channel(&standing, "design", ChannelKind::Public, HOME).await.map(|_| ()),
    ] {
        assert_eq!(result.expect_err("no database, no success"), CoreError::Unavailable);
    }
    assert!(store.ping().await.is_err());

    // Back up: the account made before the outage is intact, nothing half-made is there.
    let store = Store::connect(&url).await.unwrap();
    let service = new_service(store);
    service.login("dora", "correct horse battery", HOME).await.unwrap();
    assert!(service.login("eve", "correct horse battery", HOME).await.is_err());
    let standing = service.standing(&user, "acme").await.unwrap();
    let channels = service.list_channels(&standing).await.unwrap();
    assert_eq!(channels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["general"]);
}

#[tokio::test]
async fn a_bad_database_url_stops_startup_with_a_reason() {
    let err = Store::connect("mysql://nope").await.err().expect("refused");
    assert!(err.to_string().contains("unsupported database URL"), "{err}");
    let err = Store::connect("postgres://127.0.0.1:1/none").await.err().expect("nothing listens on port 1");
    assert!(err.to_string().contains("database"), "{err}");
}
