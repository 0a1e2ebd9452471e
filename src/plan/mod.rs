//! placeholder, replaced by the planner work
