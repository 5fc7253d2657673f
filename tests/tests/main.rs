//! Integration and fidelity tests.
