//! The browser lab (Yew). Built for wasm32 by `cargo xtask dist`.
