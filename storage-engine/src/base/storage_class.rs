//! S3's storage classes: their names, parsed and shown in one place, and what each means here.
//!
//! Records keep a class as its name (a string in bincode), so the type changes nothing on disk;
//! an empty name, which records written with a default `ObjectMeta` hold, reads as STANDARD.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StorageClass {
    #[default]
    Standard,
    ReducedRedundancy,
    StandardIa,
    OnezoneIa,
    IntelligentTiering,
    Glacier,
    DeepArchive,
    GlacierIr,
    Outposts,
    Snow,
    ExpressOnezone,
}

use StorageClass::*;

const NAMES: [(StorageClass, &str); 11] = [
    (Standard, "STANDARD"),
    (ReducedRedundancy, "REDUCED_REDUNDANCY"),
    (StandardIa, "STANDARD_IA"),
    (OnezoneIa, "ONEZONE_IA"),
    (IntelligentTiering, "INTELLIGENT_TIERING"),
    (Glacier, "GLACIER"),
    (DeepArchive, "DEEP_ARCHIVE"),
    (GlacierIr, "GLACIER_IR"),
    (Outposts, "OUTPOSTS"),
    (Snow, "SNOW"),
    (ExpressOnezone, "EXPRESS_ONEZONE"),
];

impl StorageClass {
    /// The class S3 calls `name` (exactly; S3's names are upper case).
    pub fn parse(name: &str) -> Option<StorageClass> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
    }

    pub fn as_str(self) -> &'static str {
        NAMES.iter().find(|(c, _)| *c == self).map(|(_, n)| *n).expect("every class has a name")
    }

    /// Its bytes live in the archive tier.
    pub fn is_archived(self) -> bool {
        matches!(self, Glacier | DeepArchive | GlacierIr)
    }

    /// A GET needs a restore first (GLACIER_IR reads straight from the archive).
    pub fn needs_restore(self) -> bool {
        matches!(self, Glacier | DeepArchive)
    }

    /// A lifecycle rule may transition objects to it (S3 takes these six).
    pub fn is_transition_target(self) -> bool {
        matches!(self, Glacier | DeepArchive | GlacierIr | StandardIa | OnezoneIa | IntelligentTiering)
    }

    /// How far down the tiers it is: a transition only ever goes further down.
    pub fn rank(self) -> u8 {
        match self {
            StandardIa | OnezoneIa | IntelligentTiering => 1,
            GlacierIr => 2,
            Glacier => 3,
            DeepArchive => 4,
            _ => 0,
        }
    }
}

impl fmt::Display for StorageClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for StorageClass {
    type Err = String;

    fn from_str(name: &str) -> Result<StorageClass, String> {
        StorageClass::parse(name).ok_or_else(|| format!("unknown storage class {name}"))
    }
}

/// A class equals its name: `rec.meta.storage_class == "GLACIER"`.
impl PartialEq<&str> for StorageClass {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

impl Serialize for StorageClass {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StorageClass {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StorageClass, D::Error> {
        let name = String::deserialize(d)?;
        if name.is_empty() {
            return Ok(Standard);
        }
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_classes_say_what_they_are() {
        for (class, name) in NAMES {
            assert_eq!(StorageClass::parse(name), Some(class));
            assert_eq!(class.to_string(), name);
        }
        assert_eq!(StorageClass::parse("glacier"), None);
        // (class, archived, needs a restore, a transition target, rank)
        let table = [
            (Standard, false, false, false, 0),
            (StandardIa, false, false, true, 1),
            (IntelligentTiering, false, false, true, 1),
            (GlacierIr, true, false, true, 2),
            (Glacier, true, true, true, 3),
            (DeepArchive, true, true, true, 4),
            (ReducedRedundancy, false, false, false, 0),
            (ExpressOnezone, false, false, false, 0),
        ];
        for (c, archived, restore, target, rank) in table {
            assert_eq!(
                (c.is_archived(), c.needs_restore(), c.is_transition_target(), c.rank()),
                (archived, restore, target, rank),
                "{c}"
            );
        }
    }

    #[test]
    fn stored_as_its_name_as_the_string_was() {
        let as_string = bincode::serialize(&"DEEP_ARCHIVE".to_string()).unwrap();
        assert_eq!(bincode::serialize(&DeepArchive).unwrap(), as_string);
        assert_eq!(bincode::deserialize::<StorageClass>(&as_string).unwrap(), DeepArchive);
        let empty = bincode::serialize(&String::new()).unwrap();
        assert_eq!(bincode::deserialize::<StorageClass>(&empty).unwrap(), Standard);
        let unknown = bincode::serialize(&"TAPE".to_string()).unwrap();
        assert!(bincode::deserialize::<StorageClass>(&unknown).is_err());
    }
}
