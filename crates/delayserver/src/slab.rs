//! [`Slab`]: connections stored by index, the index being their poll token.
//!
//! Freed slots are reused (last freed, first reused), so the table stays as
//! large as the most connections ever open at once and a token maps to its
//! connection with one bounds-checked index. A reused slot is told apart
//! from its previous occupant by the connection's serial number, which the
//! timer entries carry.

/// A vector of optional slots with a free list.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Option<T>>,
    /// Indices of empty slots.
    free: Vec<usize>,
}

impl<T> Slab<T> {
    /// An empty slab.
    pub(crate) fn new() -> Slab<T> {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// The index the next [`insert`](Self::insert) will use.
    pub(crate) fn vacant_index(&self) -> usize {
        self.free.last().copied().unwrap_or(self.slots.len())
    }

    /// Stores `value` and returns its index.
    pub(crate) fn insert(&mut self, value: T) -> usize {
        match self.free.pop() {
            Some(index) => {
                self.slots[index] = Some(value);
                index
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        }
    }

    /// The value at `index`, if the slot is occupied.
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.slots.get(index).and_then(Option::as_ref)
    }

    /// The value at `index`, if the slot is occupied.
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.slots.get_mut(index).and_then(Option::as_mut)
    }

    /// Empties the slot at `index`, returning its value.
    pub(crate) fn remove(&mut self, index: usize) -> Option<T> {
        let value = self.slots.get_mut(index)?.take()?;
        self.free.push(index);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_freed_slots() {
        let mut slab = Slab::new();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!((a, b), (0, 1));
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.get(a), None);
        assert_eq!(slab.vacant_index(), a);
        assert_eq!(slab.insert("c"), a);
        assert_eq!(slab.get(a), Some(&"c"));
        *slab.get_mut(b).unwrap() = "d";
        assert_eq!(slab.get(b), Some(&"d"));
        assert_eq!(slab.get(99), None);
        assert_eq!(slab.remove(99), None);
    }
}
