//! Where each live task was spawned, kept by a scheduler only while its
//! blocking detector is on (`Builder::warn_on_blocking`), so the detector's
//! report can name the spawn site. The task header has no room for it: a
//! small idle task fits an 80-byte allocation without the extra word, and
//! no other feature reads it.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::{Mutex, MutexGuard};

use crate::task::Id;

/// Spawn sites by task id (empty and never locked while disabled).
#[derive(Debug)]
pub(crate) struct SpawnSites {
    enabled: bool,
    sites: Mutex<HashMap<Id, &'static Location<'static>>>,
}

impl SpawnSites {
    /// A table that records only if `enabled` (the detector is on).
    pub(crate) fn new(enabled: bool) -> SpawnSites {
        SpawnSites {
            enabled,
            sites: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Id, &'static Location<'static>>> {
        self.sites.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers where task `id` was spawned; call before the task can
    /// run, so [`forget`](Self::forget) always comes after.
    #[inline]
    pub(crate) fn record(&self, id: Id, location: &'static Location<'static>) {
        if self.enabled {
            self.lock().insert(id, location);
        }
    }

    /// Drops task `id`'s entry (it completed or was released).
    #[inline]
    pub(crate) fn forget(&self, id: Id) {
        if self.enabled {
            self.lock().remove(&id);
        }
    }

    /// Where task `id` was spawned, if recorded.
    pub(crate) fn get(&self, id: Id) -> Option<&'static Location<'static>> {
        if !self.enabled {
            return None;
        }
        self.lock().get(&id).copied()
    }

    /// Where task `id` was spawned, for a report: `file:line:column`, or
    /// words saying it is unknown.
    pub(crate) fn describe(&self, id: Id) -> String {
        self.get(id)
            .map_or_else(|| "an unknown place".to_string(), |l| l.to_string())
    }

    /// How many tasks have an entry.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_only_when_enabled_and_forgets() {
        let here = Location::caller();
        let off = SpawnSites::new(false);
        off.record(Id::next(), here);
        assert_eq!(off.len(), 0);

        let on = SpawnSites::new(true);
        let (a, b) = (Id::next(), Id::next());
        on.record(a, here);
        on.record(b, here);
        assert_eq!(on.get(a), Some(here));
        on.forget(a);
        assert_eq!(on.get(a), None);
        assert_eq!(on.len(), 1);
        assert_eq!(on.describe(b), here.to_string());
        assert_eq!(on.describe(a), "an unknown place");
    }
}
