//! eddy (under construction).
