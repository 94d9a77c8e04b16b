//! defdrive-storage: implementations of the core's [`Store`](defdrive_core::store::Store).

mod folder;

pub use folder::FolderStore;
