//! A caller that stops waiting (an HTTP client hanging up half-way) never
//! leaves a change without its audit entry: whatever a use case changed is
//! in the audit log, and what it did not change is not, wherever the caller
//! gave up.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use confab_core::Store;
use confab_core::kinds::{AuditAction, ChannelKind, Role};
use confab_core::model::User;
use confab_core::service::Standing;
use confab_core::{CoreResult, Service};

const HOME: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const PASSWORD: &str = "correct horse battery";

struct Org {
    service: Service,
    owner: Standing,
    invite: String,
    _data: tempfile::TempDir,
}

async fn org() -> Org {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", data.path().join("confab.db").display());
    let service = Service::new(Store::connect(&url).await.unwrap(), 1000);
    let (ann, _) = service.register("ann", PASSWORD, HOME).await.unwrap();
    service.create_org(&ann, "Acme", "acme").await.unwrap();
    let owner = service.standing(&ann, "acme").await.unwrap();
    let invite = service.create_invite(&owner, HOME).await.unwrap().token;
    Org { service, owner, invite, _data: data }
}

impl Org {
    /// `n` new members of `acme` (`<prefix><i>`), where they stand.
    async fn members(&self, prefix: &str, n: usize) -> Vec<Standing> {
        let mut people = Vec::with_capacity(n);
        for i in 0..n {
            let (user, _) = self.service.register(&format!("{prefix}{i}"), PASSWORD, HOME).await.unwrap();
            self.service.accept_invite(&user, &self.invite, HOME).await.unwrap();
            people.push(self.service.standing(&user, "acme").await.unwrap());
        }
        people
    }

    /// Whether the change and its audit entries agree: done with one entry,
    /// or not done with none.
    fn agree(done: bool, audited: usize, what: &str) -> Result<(), String> {
        match (done, audited) {
            (true, 1) | (false, 0) => Ok(()),
            _ => Err(format!("{what}: {done}, audit entries: {audited}")),
        }
    }

    /// How many entries of `action` about `subject` the log has.
    async fn audited(&self, action: AuditAction, subject: &str) -> usize {
        let log = self.service.audit_log(&self.owner, None, 200).await.unwrap();
        log.iter().filter(|e| e.action == action && e.subject == subject).count()
    }

    async fn is_member(&self, user: &User) -> Option<Role> {
        let members = self.service.members(&self.owner).await.unwrap();
        members.into_iter().find(|m| m.user.id == user.id).map(|m| m.role)
    }
}

/// Runs `change` once to its end, to time it, then again and again with the
/// caller giving up after 0, 1, 2, … milliseconds, through all of its run;
/// after each, once everything has settled, `holds` must say the change and
/// its audit entry agree. The work a caller gave up on goes on in its own
/// task, and on a busy machine it may finish long after the caller left:
/// `holds` is asked again until it agrees, for up to ten seconds.
async fn give_up_at_every_point<F, Fut, H, HF>(rounds: usize, change: F, holds: H)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = CoreResult<()>>,
    H: Fn(usize) -> HF,
    HF: Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    change(0).await.unwrap();
    holds(0).await.unwrap();
    let whole = started.elapsed().as_millis() as u64 + 2;
    for round in 1..rounds {
        let wait = Duration::from_millis(whole * round as u64 / rounds as u64);
        let _ = tokio::time::timeout(wait, change(round)).await;
        let settled = Instant::now() + Duration::from_secs(10);
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            match holds(round).await {
                Ok(()) => break,
                Err(e) if Instant::now() > settled => {
                    panic!("gave up after {wait:?} (the whole change takes about {whole} ms): {e}")
                }
                Err(_) => {}
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_is_audited_wherever_its_caller_gives_up() {
    let org = org().await;
    let rounds = 24;
    let people = org.members("bob", rounds).await;
    let (org, people) = (&org, &people);
    give_up_at_every_point(
        rounds,
        |i| async move { org.service.remove_member(&org.owner, &people[i].user.username, HOME).await },
        |i| async move {
            let removed = org.is_member(&people[i].user).await.is_none();
            let audited = org.audited(AuditAction::MemberRemoved, &people[i].user.username).await;
            Org::agree(removed, audited, "removed")
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_of_role_is_audited_wherever_its_caller_gives_up() {
    let org = org().await;
    let rounds = 24;
    let people = org.members("cy", rounds).await;
    let (org, people) = (&org, &people);
    give_up_at_every_point(
        rounds,
        |i| async move {
            org.service.set_role(&org.owner, &people[i].user.username, Role::Supervisor, HOME).await.map(drop)
        },
        |i| async move {
            let changed = org.is_member(&people[i].user).await == Some(Role::Supervisor);
            let audited = org.audited(AuditAction::RoleChanged, &people[i].user.username).await;
            Org::agree(changed, audited, "changed")
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_is_audited_wherever_the_caller_gives_up() {
    let org = org().await;
    let rounds = 24;
    let people = org.members("dee", rounds).await;
    let (org, people) = (&org, &people);
    give_up_at_every_point(
        rounds,
        |i| async move { org.service.leave_org(&people[i], HOME).await },
        |i| async move {
            let left = org.is_member(&people[i].user).await.is_none();
            let log = org.service.audit_log(&org.owner, None, 200).await.unwrap();
            let audited =
                log.iter().filter(|e| e.action == AuditAction::LeftOrg && e.actor == people[i].user.username).count();
            Org::agree(left, audited, "left")
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_channel_is_audited_wherever_its_caller_gives_up() {
    let org = org().await;
    let rounds = 24;
    let org = &org;
    give_up_at_every_point(
        rounds,
        |i| async move {
            let name = format!("room{i}");
            org.service.create_channel(&org.owner, &name, ChannelKind::Public, HOME).await.map(drop)
        },
        |i| async move {
            let name = format!("room{i}");
            let channels = org.service.list_channels(&org.owner).await.unwrap();
            let created = channels.iter().any(|c| c.name == name);
            let audited = org.audited(AuditAction::ChannelCreated, &format!("#{name}")).await;
            Org::agree(created, audited, "created")
        },
    )
    .await;
}
