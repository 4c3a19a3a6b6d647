//! eddy-threadpool (under construction).
