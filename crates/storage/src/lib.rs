//! defdrive-storage: implementations of the core's [`Store`](defdrive_core::store::Store):
//! a local folder and S3-compatible object storage, chosen by `STORAGE_URL` ([`open`]).

mod folder;
mod open;
mod s3;

pub use folder::FolderStore;
pub use open::{StorageUrl, open};
pub use s3::{MAX_PARTS_IN_FLIGHT, PART_SIZE, S3Store};
