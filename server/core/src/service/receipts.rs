//! Read receipts: who has read how far, in the channels where the
//! organization's policy shows it (`access::shows_receipts`), for anyone
//! who may read the channel; and the owners setting that policy.

use std::net::IpAddr;

use super::audit::Audited;
use super::{ChannelAccess, Service, Standing, fail};
use crate::access;
use crate::error::{CoreError, CoreResult};
use crate::kinds::AuditAction;
use crate::model::{ReadPosition, ReceiptPolicy};

/// The most people a channel may have for receipts, whatever the policy.
pub const MAX_RECEIPTS_UP_TO: i64 = 100;

/// Someone's read cursor moved in a channel that shows read receipts: told
/// live to the channel's room (not stored: a device that missed it reads
/// the positions again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadMoved {
    pub org_slug: String,
    pub channel_id: i64,
    pub position: ReadPosition,
}

impl Service {
    /// The organization's policy on read receipts.
    pub async fn receipt_policy(&self, standing: &Standing) -> CoreResult<ReceiptPolicy> {
        let policy = self.store.receipt_policy(standing.org.id).await.map_err(fail("reading the receipts policy"))?;
        policy.ok_or_else(access::not_a_member)
    }

    /// Whether the caller's channel shows read receipts now.
    pub async fn shows_receipts(&self, access: &ChannelAccess) -> CoreResult<bool> {
        let ChannelAccess { standing, channel } = access;
        let policy = self.receipt_policy(standing).await?;
        let people = self.store.channel_size(channel.id).await.map_err(fail("counting a channel's people"))?;
        Ok(access::shows_receipts(channel.kind, people, policy.on, policy.up_to))
    }

    /// Where the channel shows read receipts, tells its room (through
    /// [`Service::read_moves`]) that the caller has read up to `seq` now.
    pub(super) async fn tell_read_moved(&self, access: &ChannelAccess, last_read_seq: i64) {
        match self.shows_receipts(access).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => return tracing::debug!(error = %e, "whether a channel shows receipts is unknown"),
        }
        let ChannelAccess { standing, channel } = access;
        // Nobody listening (no live server) is fine.
        let _ = self.read_moves.send(ReadMoved {
            org_slug: standing.org.slug.clone(),
            channel_id: channel.id,
            position: ReadPosition { user_id: standing.user.id, last_read_seq },
        });
    }

    /// How far each person of the channel has read it, where it shows read
    /// receipts (`forbidden` where it does not).
    pub async fn read_receipts(&self, access: &ChannelAccess) -> CoreResult<Vec<ReadPosition>> {
        if !self.shows_receipts(access).await? {
            return Err(CoreError::forbidden("This channel does not show who has read what."));
        }
        self.store.read_positions(access.channel.id).await.map_err(fail("reading read positions"))
    }

    /// Sets the organization's policy on read receipts (owners only).
    pub async fn set_receipt_policy(
        &self,
        standing: &Standing,
        policy: ReceiptPolicy,
        from: IpAddr,
    ) -> CoreResult<ReceiptPolicy> {
        access::change_settings(standing.role)?;
        if !(2..=MAX_RECEIPTS_UP_TO).contains(&policy.up_to) {
            return Err(CoreError::invalid(format!(
                "Receipts can be shown in channels of 2 to {MAX_RECEIPTS_UP_TO} people."
            )));
        }
        let (this, standing) = (self.clone(), standing.clone());
        self.to_the_end("setting the receipts policy", async move {
            this.store
                .set_receipt_policy(standing.org.id, policy)
                .await
                .map_err(fail("setting the receipts policy"))?;
            let detail = match policy.on {
                true => format!("read receipts on, in channels of up to {} people", policy.up_to),
                false => "read receipts off".to_owned(),
            };
            let what = Audited {
                org_id: Some(standing.org.id),
                action: AuditAction::SettingsChanged,
                subject: "",
                detail: &detail,
            };
            this.audit(&standing.user, from, what).await;
            Ok(policy)
        })
        .await
    }
}
