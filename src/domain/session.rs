//! The donation session state machine (SPEC 5.4-5.6): types, statuses, and which call each allows.

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionType {
    AddOn,
    PortionOfSalesChoice,
    PortionOfSales,
}

impl SessionType {
    pub fn parse(s: &str) -> Option<SessionType> {
        match s {
            "add_on" => Some(SessionType::AddOn),
            "portion_of_sales_choice" => Some(SessionType::PortionOfSalesChoice),
            "portion_of_sales" => Some(SessionType::PortionOfSales),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SessionType::AddOn => "add_on",
            SessionType::PortionOfSalesChoice => "portion_of_sales_choice",
            SessionType::PortionOfSales => "portion_of_sales",
        }
    }

    /// Interactive sessions let the customer choose a campaign.
    pub fn is_interactive(self) -> bool {
        !matches!(self, SessionType::PortionOfSales)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Active,
    Processing,
    Confirmed,
    Expired,
}

impl SessionStatus {
    pub fn parse(s: &str) -> Option<SessionStatus> {
        match s {
            "active" => Some(SessionStatus::Active),
            "processing" => Some(SessionStatus::Processing),
            "confirmed" => Some(SessionStatus::Confirmed),
            "expired" => Some(SessionStatus::Expired),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::Processing => "processing",
            SessionStatus::Confirmed => "confirmed",
            SessionStatus::Expired => "expired",
        }
    }

    /// The status as of `now`: an open session past its `expires_at` is expired, stored or not.
    pub fn current(self, expires_at: i64, now: i64) -> SessionStatus {
        match self {
            SessionStatus::Active | SessionStatus::Processing if now >= expires_at => {
                SessionStatus::Expired
            }
            other => other,
        }
    }
}

/// Who is calling: the organization's API key, or the session's own secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    ApiKey,
    Secret,
}

/// Every call that changes a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// PATCH of `metadata` / `approximated` only.
    PatchDetails,
    /// PATCH that sets `customer_id` / `vendor_id`.
    PatchParties,
    PutAllocations,
    ChooseCampaign,
    Process,
    Confirm,
}

const ALREADY_CONFIRMED: ApiError = ApiError::Business {
    code: "session.already-confirmed",
    message: "Session has already been confirmed",
};
const EXPIRED: ApiError = ApiError::Business {
    code: "session.expired",
    message: "Session has expired",
};

/// Decides whether `action` by `caller` is allowed on a session of `kind` in `status` (the current
/// status). The one place the rules of SPEC 5.5/5.6 and 9 live.
pub fn check(
    kind: SessionType,
    status: SessionStatus,
    caller: Caller,
    action: Action,
) -> Result<(), ApiError> {
    use SessionStatus::*;
    match action {
        Action::PatchDetails => Ok(()),
        Action::PatchParties => match status {
            Active => Ok(()),
            Processing => Err(ApiError::business(
                "session.not-active",
                "Customer and vendor can only be changed while the session is active",
            )),
            Confirmed => Err(ALREADY_CONFIRMED),
            Expired => Err(EXPIRED),
        },
        Action::PutAllocations => {
            if kind.is_interactive() {
                return Err(ApiError::business(
                    "session.interactive-must-use-choose-campaign",
                    "Interactive sessions set their allocation with choose_campaign",
                ));
            }
            open_status(status)
        }
        Action::ChooseCampaign => {
            if !kind.is_interactive() {
                return Err(ApiError::business(
                    "session.non-interactive-cannot-choose-campaign",
                    "A portion_of_sales session has no campaign choice",
                ));
            }
            match (status, caller) {
                (Processing, Caller::Secret) => Err(ApiError::Forbidden(
                    "The session is processing: only the merchant can change it",
                )),
                _ => open_status(status),
            }
        }
        Action::Process => open_status(status),
        Action::Confirm => match status {
            Active | Processing | Confirmed => Ok(()),
            Expired => Err(ApiError::business(
                "session.cannot-confirm-expired",
                "An expired session cannot be confirmed",
            )),
        },
    }
}

fn open_status(status: SessionStatus) -> Result<(), ApiError> {
    match status {
        SessionStatus::Active | SessionStatus::Processing => Ok(()),
        SessionStatus::Confirmed => Err(ALREADY_CONFIRMED),
        SessionStatus::Expired => Err(EXPIRED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use SessionStatus::*;
    use SessionType::*;

    fn code(r: Result<(), ApiError>) -> String {
        match r {
            Ok(()) => "ok".into(),
            Err(e) => e.code(),
        }
    }

    #[test]
    fn status_reads_expired_past_expiry() {
        assert_eq!(Active.current(100, 99), Active);
        assert_eq!(Active.current(100, 100), Expired);
        assert_eq!(Processing.current(100, 101), Expired);
        assert_eq!(Confirmed.current(100, 200), Confirmed);
    }

    #[test]
    fn the_table() {
        let k = Caller::ApiKey;
        let s = Caller::Secret;
        let cases = [
            (AddOn, Active, k, PatchParties, "ok"),
            (AddOn, Processing, k, PatchParties, "session.not-active"),
            (
                AddOn,
                Confirmed,
                k,
                PatchParties,
                "session.already-confirmed",
            ),
            (AddOn, Expired, k, PatchParties, "session.expired"),
            (AddOn, Expired, k, PatchDetails, "ok"),
            (AddOn, Confirmed, k, PatchDetails, "ok"),
            (PortionOfSales, Active, k, PutAllocations, "ok"),
            (PortionOfSales, Processing, k, PutAllocations, "ok"),
            (
                PortionOfSales,
                Confirmed,
                k,
                PutAllocations,
                "session.already-confirmed",
            ),
            (
                PortionOfSales,
                Expired,
                k,
                PutAllocations,
                "session.expired",
            ),
            (
                AddOn,
                Active,
                k,
                PutAllocations,
                "session.interactive-must-use-choose-campaign",
            ),
            (PortionOfSalesChoice, Active, s, ChooseCampaign, "ok"),
            (AddOn, Processing, s, ChooseCampaign, "auth.forbidden"),
            (AddOn, Processing, k, ChooseCampaign, "ok"),
            (AddOn, Expired, s, ChooseCampaign, "session.expired"),
            (
                AddOn,
                Confirmed,
                s,
                ChooseCampaign,
                "session.already-confirmed",
            ),
            (
                PortionOfSales,
                Active,
                k,
                ChooseCampaign,
                "session.non-interactive-cannot-choose-campaign",
            ),
            (AddOn, Active, k, Process, "ok"),
            (AddOn, Processing, k, Process, "ok"),
            (AddOn, Confirmed, k, Process, "session.already-confirmed"),
            (AddOn, Expired, k, Process, "session.expired"),
            (AddOn, Active, k, Confirm, "ok"),
            (AddOn, Processing, k, Confirm, "ok"),
            (AddOn, Confirmed, k, Confirm, "ok"),
            (AddOn, Expired, k, Confirm, "session.cannot-confirm-expired"),
        ];
        for (kind, status, caller, action, expected) in cases {
            assert_eq!(
                code(check(kind, status, caller, action)),
                expected,
                "{kind:?} {status:?} {caller:?} {action:?}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for t in [AddOn, PortionOfSalesChoice, PortionOfSales] {
            assert_eq!(SessionType::parse(t.as_str()), Some(t));
        }
        for s in [Active, Processing, Confirmed, Expired] {
            assert_eq!(SessionStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(SessionType::parse("bogus"), None);
    }
}
