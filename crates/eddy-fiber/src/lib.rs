//! eddy-fiber (under construction).
