//! eddy-macros (under construction).
