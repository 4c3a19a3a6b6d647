//! delayserver (under construction).
