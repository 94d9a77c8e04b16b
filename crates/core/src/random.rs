//! Unguessable identifiers: 128 bits from a CSPRNG (the thread-local generator, seeded by
//! the operating system) as 32 lowercase hex characters.

use rand::RngCore;

pub fn hex_128() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
