//! eddy-node (under construction).
