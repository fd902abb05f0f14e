//! Organizations: creating one, the ones a person belongs to, and an
//! organization as one of its members sees it.

use super::{Service, Standing, fail};
use crate::error::{CoreError, CoreResult};
use crate::model::{Member, Membership, OrgOverview, User};
use crate::rules;
use crate::store::StoreError;

impl Service {
    /// The organizations a user belongs to, by name.
    pub async fn list_orgs(&self, user_id: i64) -> CoreResult<Vec<Membership>> {
        self.store.orgs_of(user_id).await.map_err(fail("listing organizations"))
    }

    /// Creates an organization with `user` as its owner and a `general` channel.
    pub async fn create_org(&self, user: &User, name: &str, slug: &str) -> CoreResult<Membership> {
        let name = rules::org_name(name)?;
        let slug = rules::org_slug(slug)?;
        match self.store.create_org(user.id, &name, &slug).await {
            Ok(org) => {
                tracing::info!(user_id = user.id, org = %org.org.slug, "organization created");
                Ok(org)
            }
            Err(StoreError::Conflict(_)) => {
                Err(CoreError::conflict(format!("The URL name {slug} is taken; please choose another.")))
            }
            Err(e) => Err(fail("creating organization")(e)),
        }
    }

    /// The organization, the channels the caller may see and its members.
    /// Where the caller's notice stream was before they were read comes
    /// with them: every change after is in a notice after it.
    pub async fn org_view(&self, standing: &Standing) -> CoreResult<OrgOverview> {
        let notice_seq = self.last_notice_seq(standing).await?;
        let channels = self.list_channels(standing).await?;
        let members = self.members(standing).await?;
        let threads = self.followed_threads(standing, &channels).await?;
        let receipts = self.receipt_policy(standing).await?;
        let members_mention_all = self.members_mention_all(standing).await?;
        let membership = Membership { org: standing.org.clone(), role: standing.role };
        Ok(OrgOverview { membership, channels, members, notice_seq, threads, receipts, members_mention_all })
    }

    /// Everyone in the organization, by name, with their role.
    pub async fn members(&self, standing: &Standing) -> CoreResult<Vec<Member>> {
        self.store.members_of(standing.org.id).await.map_err(fail("listing members"))
    }
}
