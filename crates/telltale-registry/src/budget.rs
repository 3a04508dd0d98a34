//! How long a piece of registry work may run, and a flag that stops it.
//!
//! The server answers a request that takes too long with 408, but the
//! blocking thread doing the work cannot be killed: without a way to stop
//! it, it would keep its registry handle (and its database connection)
//! for as long as the work takes, and a few such requests would stall the
//! server. So long loops (estimating quote lengths, issuing, zipping
//! copies, tracing, finding who shares a reading) check a [`Budget`] as
//! they go and give up with [`RegistryError::Cancelled`] once its deadline
//! has passed or its flag was raised. The CLI runs unbudgeted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::{RegistryError, Result};

/// A deadline and a cancel flag shared with whoever may stop the work.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    deadline: Option<Instant>,
    cancel: Option<Arc<AtomicBool>>,
}

impl Budget {
    /// No limit: the work runs to its end.
    pub fn unlimited() -> Budget {
        Budget::default()
    }

    /// Work that must stop at `deadline` (if any), or when `cancel` is
    /// raised, whichever comes first.
    pub fn new(deadline: Option<Instant>, cancel: Arc<AtomicBool>) -> Budget {
        Budget {
            deadline,
            cancel: Some(cancel),
        }
    }

    /// Whether the work should stop now.
    pub fn spent(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// `Err(Cancelled)` once the work should stop.
    pub fn check(&self) -> Result<()> {
        if self.spent() {
            return Err(RegistryError::Cancelled);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_spent_by_its_flag_or_its_deadline() {
        assert!(Budget::unlimited().check().is_ok());
        let flag = Arc::new(AtomicBool::new(false));
        let b = Budget::new(None, flag.clone());
        assert!(b.check().is_ok());
        flag.store(true, Ordering::Relaxed);
        assert!(matches!(b.check(), Err(RegistryError::Cancelled)));
        let past = Budget::new(Some(Instant::now()), Arc::new(AtomicBool::new(false)));
        assert!(past.spent());
    }
}
