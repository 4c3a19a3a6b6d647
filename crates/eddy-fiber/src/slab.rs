//! [`Slab`]: a vector of slots with stable indices and a free list; holds
//! the live fibers and the registered I/O sources (whose index is their
//! event-queue token).

/// Slots addressed by index; freed indices are reused.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    /// Head of the free list (`usize::MAX`: empty).
    free: usize,
    len: usize,
}

#[derive(Debug)]
enum Entry<T> {
    Occupied(T),
    /// A free slot and the next free index.
    Vacant(usize),
}

impl<T> Slab<T> {
    pub(crate) const fn new() -> Slab<T> {
        Slab {
            entries: Vec::new(),
            free: usize::MAX,
            len: 0,
        }
    }

    /// Stores `value`, returning its index.
    pub(crate) fn insert(&mut self, value: T) -> usize {
        self.len += 1;
        if self.free != usize::MAX {
            let index = self.free;
            match std::mem::replace(&mut self.entries[index], Entry::Occupied(value)) {
                Entry::Vacant(next) => self.free = next,
                Entry::Occupied(_) => unreachable!("the free list only links vacant slots"),
            }
            index
        } else {
            self.entries.push(Entry::Occupied(value));
            self.entries.len() - 1
        }
    }

    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        match self.entries.get(index) {
            Some(Entry::Occupied(value)) => Some(value),
            _ => None,
        }
    }

    /// Removes and returns the value at `index`, if any.
    pub(crate) fn remove(&mut self, index: usize) -> Option<T> {
        let entry = self.entries.get_mut(index)?;
        if matches!(entry, Entry::Vacant(_)) {
            return None;
        }
        self.len -= 1;
        match std::mem::replace(entry, Entry::Vacant(self.free)) {
            Entry::Occupied(value) => {
                self.free = index;
                Some(value)
            }
            Entry::Vacant(_) => unreachable!("checked above"),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The occupied values.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Occupied(v) => Some(v),
            Entry::Vacant(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn indices_are_reused_after_removal() {
        let mut slab = Slab::new();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.insert("c"), a);
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.iter().count(), 2);
    }
}
