//! Object Lock, as S3 has it: a bucket's default retention, and per version a retention (mode and
//! date) and a legal hold. The rules are pure functions here; the store keeps each version's lock
//! in the `Locks` keyspace, written in the transaction that writes the version, and checks it in
//! the one place versions are destroyed (`object::removal::release_version`).

pub use crate::base::error::Refusal;
use chrono::{DateTime, Datelike, Months, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockMode {
    /// Removable early by those allowed to bypass governance retention.
    Governance,
    /// By no one, until its date.
    Compliance,
}

impl LockMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }

    pub fn parse(s: &str) -> Option<LockMode> {
        match s {
            "GOVERNANCE" => Some(LockMode::Governance),
            "COMPLIANCE" => Some(LockMode::Compliance),
            _ => None,
        }
    }
}

/// A bucket's default retention: applied to each new version written without its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultRetention {
    pub mode: LockMode,
    /// Exactly one of the two.
    pub days: Option<u32>,
    pub years: Option<u32>,
}

impl DefaultRetention {
    /// The retention a version written at `from_ms` gets.
    pub fn from(&self, from_ms: i64) -> Retention {
        let start = DateTime::from_timestamp_millis(from_ms).unwrap_or_default();
        let until = match (self.days, self.years) {
            (Some(d), _) => start + chrono::Duration::days(d as i64),
            (None, Some(y)) => start.checked_add_months(Months::new(12 * y)).unwrap_or(start),
            (None, None) => start,
        };
        Retention { mode: self.mode, until_ms: until.timestamp_millis() }
    }
}

/// A bucket's Object Lock configuration. Present: lock is enabled (for good).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLockConfig {
    pub default_retention: Option<DefaultRetention>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub mode: LockMode,
    pub until_ms: i64,
}

/// What locks one version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VersionLock {
    pub retention: Option<Retention>,
    pub legal_hold: bool,
    /// A legal hold was set on the version at some point, ON or OFF: GetObjectLegalHold then
    /// answers with its status rather than "no configuration".
    pub hold_set: bool,
}

/// Decodes records of every build: those written before `hold_set` existed end after
/// `legal_hold`, and had a hold set exactly when it was on.
impl<'de> Deserialize<'de> for VersionLock {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = VersionLock;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a version lock")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<VersionLock, A::Error> {
                use serde::de::Error;
                let retention = seq.next_element()?.ok_or_else(|| A::Error::invalid_length(0, &self))?;
                let legal_hold = seq.next_element()?.ok_or_else(|| A::Error::invalid_length(1, &self))?;
                // An older record has no third field: its end is the error here.
                let hold_set = seq.next_element().ok().flatten().unwrap_or(legal_hold);
                Ok(VersionLock { retention, legal_hold, hold_set })
            }
        }
        d.deserialize_struct("VersionLock", &["retention", "legal_hold", "hold_set"], Fields)
    }
}

impl VersionLock {
    pub fn is_empty(&self) -> bool {
        self.retention.is_none() && !self.legal_hold && !self.hold_set
    }

    /// The retention still in force at `now_ms`.
    fn active(&self, now_ms: i64) -> Option<Retention> {
        self.retention.filter(|r| r.until_ms > now_ms)
    }

    /// Whether the version may be destroyed at `now_ms` (`bypass`: GOVERNANCE may be bypassed).
    pub fn may_delete(&self, now_ms: i64, bypass: bool) -> Result<(), Refusal> {
        if self.legal_hold {
            return Err(Refusal::LegalHold);
        }
        match self.active(now_ms).map(|r| r.mode) {
            Some(LockMode::Compliance) => Err(Refusal::Compliance),
            Some(LockMode::Governance) if !bypass => Err(Refusal::Governance),
            _ => Ok(()),
        }
    }

    /// Whether the retention may become `new` at `now_ms`: a retention in force may always be
    /// extended in its own mode; any other change (shortened, removed, or its mode changed, even
    /// GOVERNANCE to COMPLIANCE) only when it is GOVERNANCE and `bypass` is allowed; COMPLIANCE never.
    pub fn may_set_retention(&self, new: Option<Retention>, now_ms: i64, bypass: bool) -> Result<(), Refusal> {
        let Some(old) = self.active(now_ms) else { return Ok(()) };
        let stronger = new.is_some_and(|n| n.until_ms >= old.until_ms && n.mode == old.mode);
        match old.mode {
            _ if stronger => Ok(()),
            LockMode::Compliance => Err(Refusal::Compliance),
            LockMode::Governance if bypass => Ok(()),
            LockMode::Governance => Err(Refusal::Governance),
        }
    }

    /// When it stops blocking deletion by itself: None while a legal hold is on (until removed).
    pub fn held_until(&self, now_ms: i64) -> Option<i64> {
        if self.legal_hold {
            return None;
        }
        Some(self.active(now_ms).map_or(now_ms, |r| r.until_ms))
    }
}

/// A date as S3 shows retain-until dates: ISO 8601 with milliseconds.
pub fn iso(ms: i64) -> String {
    let d = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    format!("{}-{:02}-{:02}T{}Z", d.year(), d.month(), d.day(), d.format("%H:%M:%S%.3f"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn lock(mode: Option<LockMode>, until: i64, hold: bool) -> VersionLock {
        VersionLock {
            retention: mode.map(|mode| Retention { mode, until_ms: until }),
            legal_hold: hold,
            hold_set: hold,
        }
    }

    #[test]
    fn records_of_earlier_builds_decode() {
        #[derive(Serialize)]
        struct Before {
            retention: Option<Retention>,
            legal_hold: bool,
        }
        let retention = Some(Retention { mode: LockMode::Compliance, until_ms: 5 });
        for legal_hold in [false, true] {
            let old = crate::model::record::encode(&Before { retention, legal_hold });
            let got: VersionLock = crate::model::record::decode(&old).unwrap();
            assert_eq!(got, VersionLock { retention, legal_hold, hold_set: legal_hold });
        }
        let lifted = VersionLock { retention: None, legal_hold: false, hold_set: true };
        assert_eq!(
            crate::model::record::decode::<VersionLock>(&crate::model::record::encode(&lifted)).unwrap(),
            lifted
        );
    }

    #[test]
    fn deletion() {
        use LockMode::*;
        let now = 10 * DAY;
        let cases: &[(VersionLock, bool, Result<(), Refusal>)] = &[
            (lock(None, 0, false), false, Ok(())),
            (lock(Some(Governance), now + DAY, false), false, Err(Refusal::Governance)),
            (lock(Some(Governance), now + DAY, false), true, Ok(())),
            (lock(Some(Compliance), now + DAY, false), true, Err(Refusal::Compliance)),
            (lock(Some(Compliance), now - 1, false), false, Ok(())),
            (lock(Some(Governance), now, false), false, Ok(())),
            (lock(None, 0, true), true, Err(Refusal::LegalHold)),
            (lock(Some(Compliance), now - DAY, true), false, Err(Refusal::LegalHold)),
        ];
        for (l, bypass, want) in cases {
            assert_eq!(l.may_delete(now, *bypass), *want, "{l:?} bypass {bypass}");
        }
    }

    #[test]
    fn changing_retention() {
        use LockMode::*;
        let now = 10 * DAY;
        let r = |mode, until| Some(Retention { mode, until_ms: until });
        let gov = lock(Some(Governance), now + DAY, false);
        let comp = lock(Some(Compliance), now + DAY, false);
        type Case = (VersionLock, Option<Retention>, bool, Result<(), Refusal>);
        let cases: &[Case] = &[
            (gov, r(Governance, now + 2 * DAY), false, Ok(())),
            (gov, r(Compliance, now + DAY), false, Err(Refusal::Governance)),
            (gov, r(Compliance, now + 2 * DAY), false, Err(Refusal::Governance)),
            (gov, r(Compliance, now + DAY), true, Ok(())),
            (gov, r(Governance, now + 1), false, Err(Refusal::Governance)),
            (gov, r(Governance, now + 1), true, Ok(())),
            (gov, None, false, Err(Refusal::Governance)),
            (gov, None, true, Ok(())),
            (comp, r(Compliance, now + 2 * DAY), false, Ok(())),
            (comp, r(Compliance, now + DAY), false, Ok(())),
            (comp, r(Compliance, now + 1), true, Err(Refusal::Compliance)),
            (comp, r(Governance, now + 5 * DAY), true, Err(Refusal::Compliance)),
            (comp, None, true, Err(Refusal::Compliance)),
            (lock(Some(Compliance), now - 1, false), None, false, Ok(())),
            (lock(None, 0, false), r(Governance, now + 1), false, Ok(())),
        ];
        for (l, new, bypass, want) in cases {
            assert_eq!(l.may_set_retention(*new, now, *bypass), *want, "{l:?} -> {new:?} bypass {bypass}");
        }
    }

    #[test]
    fn defaults_and_dates() {
        let start = DateTime::parse_from_rfc3339("2026-02-28T12:00:00Z").unwrap().timestamp_millis();
        let d = DefaultRetention { mode: LockMode::Governance, days: Some(1), years: None };
        assert_eq!(iso(d.from(start).until_ms), "2026-03-01T12:00:00.000Z");
        let y = DefaultRetention { mode: LockMode::Compliance, days: None, years: Some(2) };
        assert_eq!(iso(y.from(start).until_ms), "2028-02-28T12:00:00.000Z");
        assert_eq!(lock(None, 0, true).held_until(5), None);
        assert_eq!(lock(Some(LockMode::Governance), 100, false).held_until(5), Some(100));
    }
}
