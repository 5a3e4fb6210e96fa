//! Lifecycle rules as Amazon S3 defines them, and their evaluation: a pure function of the rules,
//! the facts of one object version (or multipart upload) and the length of a day. No store, no
//! clock: the worker and the response headers both ask it what is due and when.
//!
//! Days count from the version's creation (for a noncurrent version, from when it became
//! noncurrent: its successor's creation) and are rounded up to the next midnight UTC, as AWS does.
//! With a shorter lifecycle day, "midnight" is the next multiple of the day since the Unix epoch.

use crate::base::storage_class::StorageClass;
use serde::{Deserialize, Serialize};

/// How a rule selects objects, kept as it was written so that GET returns the rule as given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Filter {
    /// The legacy rule-level `<Prefix>` (no `<Filter>` element).
    LegacyPrefix(String),
    /// `<Filter/>`: every object.
    All,
    Prefix(String),
    Tag(String, String),
    SizeGreaterThan(u64),
    SizeLessThan(u64),
    And {
        prefix: Option<String>,
        tags: Vec<(String, String)>,
        size_gt: Option<u64>,
        size_lt: Option<u64>,
    },
}

impl Filter {
    pub fn prefix(&self) -> &str {
        match self {
            Filter::LegacyPrefix(p) | Filter::Prefix(p) => p,
            Filter::And { prefix: Some(p), .. } => p,
            _ => "",
        }
    }

    fn size_bounds(&self) -> (Option<u64>, Option<u64>) {
        match self {
            Filter::SizeGreaterThan(n) => (Some(*n), None),
            Filter::SizeLessThan(n) => (None, Some(*n)),
            Filter::And { size_gt, size_lt, .. } => (*size_gt, *size_lt),
            _ => (None, None),
        }
    }

    /// Whether a version with this key, size and tags is subject to the rule.
    pub fn matches(&self, key: &str, size: u64, tags: &[(String, String)]) -> bool {
        if !key.starts_with(self.prefix()) {
            return false;
        }
        let (gt, lt) = self.size_bounds();
        if gt.is_some_and(|n| size <= n) || lt.is_some_and(|n| size >= n) {
            return false;
        }
        let wanted: Vec<(&str, &str)> = match self {
            Filter::Tag(k, v) => vec![(k, v)],
            Filter::And { tags, .. } => tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
            _ => vec![],
        };
        wanted.iter().all(|(k, v)| tags.iter().any(|(tk, tv)| tk == k && tv == v))
    }

    /// Whether the filter names tags (rules with tags never act on delete markers or uploads).
    pub fn has_tags(&self) -> bool {
        matches!(self, Filter::Tag(..)) || matches!(self, Filter::And { tags, .. } if !tags.is_empty())
    }
}

/// When a current-version action happens: days after creation, or on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum When {
    Days(u32),
    /// Midnight UTC, milliseconds since the Unix epoch.
    Date(i64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expiration {
    At(When),
    /// `ExpiredObjectDeleteMarker`: true removes a delete marker that is a key's only version.
    ExpiredObjectDeleteMarker(bool),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub when: When,
    pub storage_class: StorageClass,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoncurrentExpiration {
    pub days: u32,
    /// Keep this many newer noncurrent versions whatever their age.
    pub newer_versions: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoncurrentTransition {
    pub days: u32,
    pub newer_versions: Option<u32>,
    pub storage_class: StorageClass,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub enabled: bool,
    pub filter: Filter,
    pub expiration: Option<Expiration>,
    pub transitions: Vec<Transition>,
    pub noncurrent_expiration: Option<NoncurrentExpiration>,
    pub noncurrent_transitions: Vec<NoncurrentTransition>,
    /// `AbortIncompleteMultipartUpload/DaysAfterInitiation`.
    pub abort_upload_days: Option<u32>,
}

/// A bucket's lifecycle configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleConfig {
    pub rules: Vec<Rule>,
    /// `x-amz-transition-default-minimum-object-size`, as sent (echoed back on GET and PUT).
    pub transition_default_minimum_object_size: Option<String>,
}

/// What one version is, as far as the rules care.
#[derive(Clone, Debug)]
pub struct VersionFacts<'a> {
    pub key: &'a str,
    pub storage_class: StorageClass,
    pub size: u64,
    pub tags: &'a [(String, String)],
    pub delete_marker: bool,
    pub created_ms: i64,
    /// None for the current version; for a noncurrent one, when its successor was created.
    pub noncurrent_since_ms: Option<i64>,
    /// How many noncurrent versions of the key are newer than this one.
    pub newer_noncurrent: usize,
    /// The key has no other version (an expired delete marker, when this one is a marker).
    pub only_version: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Expire the current version: a delete marker in a versioned bucket, removal otherwise.
    ExpireCurrent,
    /// Remove a noncurrent version for good.
    DeleteNoncurrent,
    /// Remove a delete marker that is its key's only version.
    RemoveExpiredMarker,
    /// Move the version to another storage class (`Due::storage_class`).
    Transition,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::ExpireCurrent => "expire",
            Action::DeleteNoncurrent => "delete_noncurrent",
            Action::RemoveExpiredMarker => "remove_expired_marker",
            Action::Transition => "transition",
        }
    }
}

/// An action and when it falls due, with the rule that asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due<'r> {
    pub action: Action,
    pub at_ms: i64,
    pub rule_id: &'r str,
    /// The class a transition goes to.
    pub storage_class: Option<StorageClass>,
}

/// `t` rounded up to the next lifecycle midnight (a multiple of `day_ms` since the epoch).
pub fn next_midnight(t_ms: i64, day_ms: i64) -> i64 {
    t_ms.div_euclid(day_ms) * day_ms + if t_ms.rem_euclid(day_ms) == 0 { 0 } else { day_ms }
}

fn after_days(start_ms: i64, days: u32, day_ms: i64) -> i64 {
    next_midnight(start_ms.saturating_add(days as i64 * day_ms), day_ms)
}

fn at(when: &When, created_ms: i64, day_ms: i64) -> i64 {
    match when {
        When::Days(d) => after_days(created_ms, *d, day_ms),
        When::Date(ms) => *ms,
    }
}

/// The earliest action any enabled rule will take on this version, and when; None if none ever will.
/// A version's state allows one kind of action (current: expire; current marker: remove; noncurrent:
/// delete), so rules only compete on time; the first rule wins a tie.
pub fn next_action<'r>(rules: &'r [Rule], v: &VersionFacts, day_ms: i64) -> Option<Due<'r>> {
    let mut best: Option<Due<'r>> = None;
    let mut offer = |due: Due<'r>| {
        if best.as_ref().is_none_or(|b| due.at_ms < b.at_ms) {
            best = Some(due);
        }
    };
    for rule in rules.iter().filter(|r| r.enabled) {
        if !key_and_size_match(rule, v) {
            continue;
        }
        let rule_id = rule.id.as_str();
        match v.noncurrent_since_ms {
            None if !v.delete_marker => {
                if let Some(Expiration::At(when)) = &rule.expiration {
                    offer(Due {
                        action: Action::ExpireCurrent,
                        at_ms: at(when, v.created_ms, day_ms),
                        rule_id,
                        storage_class: None,
                    });
                }
            }
            None => {
                // A current delete marker: removed only when it is the key's last version.
                if !v.only_version || rule.filter.has_tags() {
                    continue;
                }
                match &rule.expiration {
                    Some(Expiration::ExpiredObjectDeleteMarker(true)) => offer(Due {
                        action: Action::RemoveExpiredMarker,
                        at_ms: v.created_ms,
                        rule_id,
                        storage_class: None,
                    }),
                    // A Days rule cleans up expired markers once they are as old as it asks.
                    Some(Expiration::At(When::Days(d))) => offer(Due {
                        action: Action::RemoveExpiredMarker,
                        at_ms: after_days(v.created_ms, *d, day_ms),
                        rule_id,
                        storage_class: None,
                    }),
                    _ => {}
                }
            }
            Some(since) => {
                if let Some(nc) = &rule.noncurrent_expiration {
                    if nc.newer_versions.is_none_or(|keep| v.newer_noncurrent >= keep as usize) {
                        offer(Due {
                            action: Action::DeleteNoncurrent,
                            at_ms: after_days(since, nc.days, day_ms),
                            rule_id,
                            storage_class: None,
                        });
                    }
                }
            }
        }
    }
    best
}

fn key_and_size_match(rule: &Rule, v: &VersionFacts) -> bool {
    if v.delete_marker {
        // Markers have no tags and no size: only the prefix can select them.
        v.key.starts_with(rule.filter.prefix())
    } else {
        rule.filter.matches(v.key, v.size, v.tags)
    }
}

/// Objects smaller than this do not transition to `class` by default (AWS: 128 KiB, with
/// `all_storage_classes_128K`; `varies_by_storage_class` lets small objects go to GLACIER and
/// DEEP_ARCHIVE). A rule with a size filter decides by its filter instead.
fn min_transition_size(config: &LifecycleConfig, rule: &Rule, class: StorageClass) -> u64 {
    let sized = matches!(rule.filter, Filter::SizeGreaterThan(_) | Filter::SizeLessThan(_))
        || matches!(rule.filter, Filter::And { size_gt, size_lt, .. } if size_gt.is_some() || size_lt.is_some());
    let varies = config.transition_default_minimum_object_size.as_deref() == Some("varies_by_storage_class");
    if sized || (varies && matches!(class, StorageClass::Glacier | StorageClass::DeepArchive)) {
        0
    } else {
        128 << 10
    }
}

/// The earliest transition any enabled rule will make of this version, and when.
pub fn next_transition<'r>(config: &'r LifecycleConfig, v: &VersionFacts, day_ms: i64) -> Option<Due<'r>> {
    if v.delete_marker {
        return None;
    }
    let mut best: Option<Due<'r>> = None;
    for rule in config.rules.iter().filter(|r| r.enabled && r.filter.matches(v.key, v.size, v.tags)) {
        let targets: Vec<(StorageClass, i64)> = match v.noncurrent_since_ms {
            None => rule.transitions.iter().map(|t| (t.storage_class, at(&t.when, v.created_ms, day_ms))).collect(),
            Some(since) => rule
                .noncurrent_transitions
                .iter()
                .filter(|t| t.newer_versions.is_none_or(|keep| v.newer_noncurrent >= keep as usize))
                .map(|t| (t.storage_class, after_days(since, t.days, day_ms)))
                .collect(),
        };
        for (class, at_ms) in targets {
            if class.rank() <= v.storage_class.rank() || v.size < min_transition_size(config, rule, class) {
                continue;
            }
            // Of two transitions due at once, the one that goes further.
            let better = best.as_ref().is_none_or(|b| {
                at_ms < b.at_ms || (at_ms == b.at_ms && class.rank() > b.storage_class.map_or(0, StorageClass::rank))
            });
            if better {
                best = Some(Due { action: Action::Transition, at_ms, rule_id: &rule.id, storage_class: Some(class) });
            }
        }
    }
    best
}

/// The next step of any kind: expirations and transitions; an expiration wins a tie.
pub fn next_step<'r>(config: &'r LifecycleConfig, v: &VersionFacts, day_ms: i64) -> Option<Due<'r>> {
    match (next_action(&config.rules, v, day_ms), next_transition(config, v, day_ms)) {
        (Some(e), Some(t)) => Some(if t.at_ms < e.at_ms { t } else { e }),
        (e, t) => e.or(t),
    }
}

/// The step due on this version at `now_ms`, if any.
pub fn step_due_now<'r>(config: &'r LifecycleConfig, v: &VersionFacts, day_ms: i64, now_ms: i64) -> Option<Due<'r>> {
    next_step(config, v, day_ms).filter(|d| d.at_ms <= now_ms)
}

/// The action due on this version at `now_ms`, if any.
pub fn due_now<'r>(rules: &'r [Rule], v: &VersionFacts, day_ms: i64, now_ms: i64) -> Option<Due<'r>> {
    next_action(rules, v, day_ms).filter(|d| d.at_ms <= now_ms)
}

/// When an incomplete multipart upload of `key` started at `initiated_ms` is to be aborted.
pub fn abort_date<'r>(rules: &'r [Rule], key: &str, initiated_ms: i64, day_ms: i64) -> Option<(i64, &'r str)> {
    rules
        .iter()
        .filter(|r| r.enabled && !r.filter.has_tags() && key.starts_with(r.filter.prefix()))
        .filter_map(|r| r.abort_upload_days.map(|d| (after_days(initiated_ms, d, day_ms), r.id.as_str())))
        .min_by_key(|(at, _)| *at)
}

/// When the current version will expire (for `x-amz-expiration`), and by which rule.
pub fn expiration_date<'r>(rules: &'r [Rule], v: &VersionFacts, day_ms: i64) -> Option<(i64, &'r str)> {
    next_action(rules, v, day_ms).filter(|d| d.action == Action::ExpireCurrent).map(|d| (d.at_ms, d.rule_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    /// 2026-01-15 10:30 UTC.
    const T0: i64 = 1_768_473_000_000;

    fn midnight(days_after_t0_midnight: i64) -> i64 {
        T0.div_euclid(DAY) * DAY + days_after_t0_midnight * DAY
    }

    fn rule(id: &str, filter: Filter) -> Rule {
        Rule {
            id: id.into(),
            enabled: true,
            filter,
            expiration: None,
            transitions: vec![],
            noncurrent_expiration: None,
            noncurrent_transitions: vec![],
            abort_upload_days: None,
        }
    }

    fn expire(id: &str, filter: Filter, when: When) -> Rule {
        Rule { expiration: Some(Expiration::At(when)), ..rule(id, filter) }
    }

    fn current<'a>(key: &'a str, size: u64, tags: &'a [(String, String)]) -> VersionFacts<'a> {
        VersionFacts {
            key,
            storage_class: StorageClass::Standard,
            size,
            tags,
            delete_marker: false,
            created_ms: T0,
            noncurrent_since_ms: None,
            newer_noncurrent: 0,
            only_version: true,
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn midnight_rounding() {
        // AWS's own example: created 10:30, Days=3, acts at midnight after the third day.
        assert_eq!(after_days(T0, 3, DAY), midnight(4));
        assert_eq!(next_midnight(midnight(2), DAY), midnight(2), "already midnight");
        assert_eq!(next_midnight(midnight(2) + 1, DAY), midnight(3));
        // A two-second day: midnights are the even seconds.
        assert_eq!(next_midnight(5_001, 2_000), 6_000);
        assert_eq!(after_days(5_001, 1, 2_000), 8_000);
        assert_eq!(next_midnight(-1, 2_000), 0);
    }

    #[test]
    fn filters_select_by_prefix_tags_and_size() {
        let t = tags(&[("class", "tmp"), ("team", "a")]);
        let cases: &[(Filter, &str, u64, bool)] = &[
            (Filter::All, "anything", 0, true),
            (Filter::LegacyPrefix("logs/".into()), "logs/x", 1, true),
            (Filter::LegacyPrefix("logs/".into()), "log/x", 1, false),
            (Filter::Prefix("".into()), "x", 1, true),
            (Filter::Tag("class".into(), "tmp".into()), "x", 1, true),
            (Filter::Tag("class".into(), "keep".into()), "x", 1, false),
            (Filter::SizeGreaterThan(100), "x", 100, false),
            (Filter::SizeGreaterThan(100), "x", 101, true),
            (Filter::SizeLessThan(100), "x", 100, false),
            (Filter::SizeLessThan(100), "x", 99, true),
            (
                Filter::And {
                    prefix: Some("a/".into()),
                    tags: tags(&[("team", "a")]),
                    size_gt: Some(1),
                    size_lt: Some(10),
                },
                "a/k",
                5,
                true,
            ),
            (
                Filter::And { prefix: Some("a/".into()), tags: tags(&[("team", "b")]), size_gt: None, size_lt: None },
                "a/k",
                5,
                false,
            ),
            (Filter::And { prefix: None, tags: t.clone(), size_gt: None, size_lt: Some(5) }, "k", 5, false),
        ];
        for (f, key, size, want) in cases {
            assert_eq!(f.matches(key, *size, &t), *want, "{f:?} on {key} ({size} bytes)");
        }
    }

    #[test]
    fn which_action_is_due_when() {
        let none: Vec<(String, String)> = vec![];
        let nc = |days, newer| Rule {
            noncurrent_expiration: Some(NoncurrentExpiration { days, newer_versions: newer }),
            ..rule("nc", Filter::All)
        };
        let marker_rule =
            Rule { expiration: Some(Expiration::ExpiredObjectDeleteMarker(true)), ..rule("dm", Filter::All) };
        let noncurrent = |newer| VersionFacts {
            noncurrent_since_ms: Some(T0 + DAY),
            newer_noncurrent: newer,
            only_version: false,
            ..current("k", 10, &none)
        };
        let marker = |only| VersionFacts { delete_marker: true, size: 0, only_version: only, ..current("k", 0, &none) };
        let disabled = Rule { enabled: false, ..expire("off", Filter::All, When::Days(1)) };
        type Case<'a> = (&'a str, Vec<Rule>, VersionFacts<'a>, Option<(Action, i64)>);
        let cases: Vec<Case> = vec![
            (
                "days from creation",
                vec![expire("r", Filter::All, When::Days(1))],
                current("k", 1, &none),
                Some((Action::ExpireCurrent, midnight(2))),
            ),
            (
                "a date",
                vec![expire("r", Filter::All, When::Date(midnight(-30)))],
                current("k", 1, &none),
                Some((Action::ExpireCurrent, midnight(-30))),
            ),
            ("a disabled rule does nothing", vec![disabled], current("k", 1, &none), None),
            (
                "other prefix",
                vec![expire("r", Filter::Prefix("logs/".into()), When::Days(1))],
                current("k", 1, &none),
                None,
            ),
            (
                "earliest of two rules",
                vec![expire("a", Filter::All, When::Days(9)), expire("b", Filter::All, When::Days(2))],
                current("k", 1, &none),
                Some((Action::ExpireCurrent, midnight(3))),
            ),
            (
                "expiration skips a current marker with older versions",
                vec![expire("r", Filter::All, When::Days(1))],
                marker(false),
                None,
            ),
            (
                "a Days rule removes an expired marker once old enough",
                vec![expire("r", Filter::All, When::Days(3))],
                marker(true),
                Some((Action::RemoveExpiredMarker, midnight(4))),
            ),
            (
                "ExpiredObjectDeleteMarker removes it at once",
                vec![marker_rule.clone()],
                marker(true),
                Some((Action::RemoveExpiredMarker, T0)),
            ),
            ("not while older versions remain", vec![marker_rule.clone()], marker(false), None),
            ("ExpiredObjectDeleteMarker leaves objects alone", vec![marker_rule], current("k", 1, &none), None),
            (
                "noncurrent days from becoming noncurrent",
                vec![nc(2, None)],
                noncurrent(0),
                Some((Action::DeleteNoncurrent, midnight(4))),
            ),
            ("NewerNoncurrentVersions keeps the newest", vec![nc(2, Some(2))], noncurrent(1), None),
            (
                "and lets older ones go",
                vec![nc(2, Some(2))],
                noncurrent(2),
                Some((Action::DeleteNoncurrent, midnight(4))),
            ),
            (
                "current expiration leaves noncurrent versions",
                vec![expire("r", Filter::All, When::Days(1))],
                noncurrent(0),
                None,
            ),
            ("noncurrent rules leave the current version", vec![nc(1, None)], current("k", 1, &none), None),
            (
                "tags never select markers",
                vec![Rule {
                    expiration: Some(Expiration::ExpiredObjectDeleteMarker(true)),
                    ..rule("t", Filter::Tag("a".into(), "b".into()))
                }],
                marker(true),
                None,
            ),
        ];
        for (what, rules, v, want) in cases {
            let got = next_action(&rules, &v, DAY).map(|d| (d.action, d.at_ms));
            assert_eq!(got, want, "{what}");
        }
    }

    #[test]
    fn due_now_and_the_headers_dates() {
        let none: Vec<(String, String)> = vec![];
        let rules =
            vec![Rule { abort_upload_days: Some(7), ..expire("thirty", Filter::Prefix("k".into()), When::Days(30)) }];
        let v = current("k", 1, &none);
        assert_eq!(due_now(&rules, &v, DAY, midnight(31) - 1), None);
        assert_eq!(due_now(&rules, &v, DAY, midnight(31)).map(|d| d.rule_id), Some("thirty"));
        assert_eq!(expiration_date(&rules, &v, DAY), Some((midnight(31), "thirty")));
        assert_eq!(abort_date(&rules, "k/upload", T0, DAY), Some((midnight(8), "thirty")));
        assert_eq!(abort_date(&rules, "other", T0, DAY), None);
        let tagged = vec![Rule { abort_upload_days: Some(1), ..rule("t", Filter::Tag("a".into(), "b".into())) }];
        assert_eq!(abort_date(&tagged, "k", T0, DAY), None, "uploads have no tags");
    }

    #[test]
    fn transitions_go_down_the_tiers_past_the_minimum_size() {
        let none: Vec<(String, String)> = vec![];
        let chain = Rule {
            transitions: vec![
                Transition { when: When::Days(30), storage_class: StorageClass::GlacierIr },
                Transition { when: When::Days(90), storage_class: StorageClass::DeepArchive },
            ],
            ..rule("chain", Filter::All)
        };
        let cfg = |rules: Vec<Rule>, min: Option<&str>| LifecycleConfig {
            rules,
            transition_default_minimum_object_size: min.map(str::to_owned),
        };
        let big = VersionFacts { size: 200 << 10, ..current("k", 0, &none) };
        let small = current("k", 1000, &none);
        let at_class = |class: StorageClass| VersionFacts { storage_class: class, ..big.clone() };
        let step =
            |c: &LifecycleConfig, v: &VersionFacts| next_step(c, v, DAY).map(|d| (d.action, d.storage_class, d.at_ms));
        let c = cfg(vec![chain.clone()], None);
        assert_eq!(step(&c, &big), Some((Action::Transition, Some(StorageClass::GlacierIr), midnight(31))));
        assert_eq!(
            step(&c, &at_class(StorageClass::GlacierIr)),
            Some((Action::Transition, Some(StorageClass::DeepArchive), midnight(91)))
        );
        assert_eq!(step(&c, &at_class(StorageClass::DeepArchive)), None, "never back up the tiers");
        assert_eq!(step(&c, &small), None, "under 128 KiB: no transition by default");
        let deep_small = cfg(vec![chain.clone()], Some("varies_by_storage_class"));
        assert_eq!(
            step(&deep_small, &small).map(|s| s.1),
            Some(Some(StorageClass::DeepArchive)),
            "only to the Glacier classes"
        );
        let sized = Rule { filter: Filter::SizeGreaterThan(10), ..chain.clone() };
        assert!(step(&cfg(vec![sized], None), &small).is_some(), "a size filter decides instead");
        let with_expiry = Rule { expiration: Some(Expiration::At(When::Days(30))), ..chain };
        assert_eq!(
            step(&cfg(vec![with_expiry], None), &big).map(|s| s.0),
            Some(Action::ExpireCurrent),
            "expiration wins a tie"
        );
        let marker = VersionFacts { delete_marker: true, ..big.clone() };
        assert_eq!(next_transition(&c, &marker, DAY), None);
    }
}
