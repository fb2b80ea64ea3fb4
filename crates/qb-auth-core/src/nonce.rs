//! Nonces and timestamps: the two inputs that make each signed request unique.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{BuildError, BuildErrorKind};

/// A create-session nonce in `1..=2^31-1` (or `0`, see [`Nonce::reproduce`]).
///
/// QuickBlox rejects a reused `(timestamp, nonce)` pair. The official SDKs
/// draw from `0..9999`, which collides within one second once a fleet creates
/// a few dozen sessions; every client seen stays within the signed 32-bit
/// range, so this type does too.
///
/// ```
/// use qb_auth_core::Nonce;
///
/// assert_eq!(Nonce::new(4242).unwrap().get(), 4242);
/// assert!(Nonce::new(0).is_err());
/// assert!(Nonce::new(1 << 31).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Nonce(u32);

impl Nonce {
    /// The largest nonce: `2^31 - 1`.
    pub const MAX: u32 = i32::MAX as u32;

    /// A fixed nonce, for tests and for reproducing a request.
    ///
    /// ```
    /// use qb_auth_core::{BuildErrorKind, Nonce};
    ///
    /// assert_eq!(Nonce::new(4242)?.get(), 4242);
    /// assert_eq!(Nonce::new(Nonce::MAX)?.get(), 2_147_483_647);
    /// assert_eq!(Nonce::new(0).unwrap_err().kind(), &BuildErrorKind::NonceOutOfRange(0));
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn new(value: u32) -> Result<Self, BuildError> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(BuildError::new(BuildErrorKind::NonceOutOfRange(u64::from(
                value,
            ))))
        }
    }

    /// A nonce another client may have drawn, to reproduce its request:
    /// like [`Nonce::new`], but `0` is admitted too.
    ///
    /// The official JavaScript SDK draws nonces from `0..9999`, so one of its
    /// requests in ten thousand is signed with `nonce=0`; reproducing it
    /// byte for byte needs that value. The signature is over the decimal
    /// text, and QuickBlox is not known to refuse `0`. The nonces this
    /// library makes itself are never `0` ([`Nonce::new`], `Nonce::random`).
    ///
    /// ```
    /// use qb_auth_core::{BuildErrorKind, Nonce};
    ///
    /// assert_eq!(Nonce::reproduce(0)?.get(), 0);
    /// assert_eq!(Nonce::reproduce(9999)?, Nonce::new(9999)?);
    /// assert_eq!(
    ///     Nonce::reproduce(1 << 31).unwrap_err().kind(),
    ///     &BuildErrorKind::NonceOutOfRange(1 << 31)
    /// );
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn reproduce(value: u32) -> Result<Self, BuildError> {
        match value {
            0 => Ok(Self(0)),
            other => Self::new(other),
        }
    }

    /// A nonce from the operating system's CSPRNG.
    ///
    /// ```
    /// use qb_auth_core::Nonce;
    ///
    /// let nonce = Nonce::random()?;
    /// assert!((1..=Nonce::MAX).contains(&nonce.get()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "getrandom")]
    #[cfg_attr(docsrs, doc(cfg(feature = "getrandom")))]
    pub fn random() -> Result<Self, getrandom::Error> {
        loop {
            // Dropping the top bit gives 0..2^31; zero is redrawn, so every
            // value of the range is equally likely.
            let candidate = getrandom::u32()? >> 1;
            if candidate != 0 {
                return Ok(Self(candidate));
            }
        }
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", self.0)
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<'de> serde::Deserialize<'de> for Nonce {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u32::deserialize(deserializer)?;
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

/// Where nonces come from. Adapters ask for a fresh one on every attempt.
///
/// ```
/// use qb_auth_core::{NonceSource, SequentialNonces};
///
/// let nonces = SequentialNonces::starting_at(7);
/// assert_eq!(nonces.next_nonce().unwrap().get(), 7);
/// assert_eq!(nonces.next_nonce().unwrap().get(), 8);
/// ```
pub trait NonceSource: Send + Sync + fmt::Debug {
    /// A nonce for one signed request.
    fn next_nonce(&self) -> Result<Nonce, BuildError>;
}

/// Nonces from the operating system's CSPRNG: the production choice.
///
/// ```
/// use qb_auth_core::{Nonce, NonceSource, OsNonces};
///
/// let nonce = OsNonces.next_nonce()?;
/// assert!((1..=Nonce::MAX).contains(&nonce.get()));
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[cfg(feature = "getrandom")]
#[cfg_attr(docsrs, doc(cfg(feature = "getrandom")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsNonces;

#[cfg(feature = "getrandom")]
impl NonceSource for OsNonces {
    fn next_nonce(&self) -> Result<Nonce, BuildError> {
        Nonce::random().map_err(|_| BuildError::new(BuildErrorKind::RandomUnavailable))
    }
}

/// Deterministic nonces counting up from a seed, wrapping within the range;
/// for tests and reproducible dry runs.
///
/// ```
/// use qb_auth_core::{Nonce, NonceSource, SequentialNonces};
///
/// let nonces = SequentialNonces::starting_at(Nonce::MAX);
/// assert_eq!(nonces.next_nonce()?.get(), Nonce::MAX);
/// assert_eq!(nonces.next_nonce()?.get(), 1);
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Debug)]
pub struct SequentialNonces(AtomicU32);

impl SequentialNonces {
    /// Starts at `first` (taken into `1..=2^31-1`).
    pub fn starting_at(first: u32) -> Self {
        Self(AtomicU32::new(first))
    }
}

impl NonceSource for SequentialNonces {
    fn next_nonce(&self) -> Result<Nonce, BuildError> {
        let raw = u64::from(self.0.fetch_add(1, Ordering::Relaxed));
        let max = u64::from(Nonce::MAX);
        // Maps every u32 into 1..=MAX, keeping 1..=MAX unchanged.
        let value = (raw + max - 1) % max + 1;
        Nonce::new(u32::try_from(value).unwrap_or(Nonce::MAX))
    }
}

/// The time and nonce a create-session request is signed with.
///
/// The core never reads the clock or the RNG by itself: pass these in.
///
/// ```
/// use qb_auth_core::{Nonce, SigningInput};
///
/// let input = SigningInput::new(1_700_000_000, Nonce::new(4242).unwrap());
/// assert_eq!(input.timestamp(), 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningInput {
    timestamp: u64,
    nonce: Nonce,
}

impl SigningInput {
    /// Signs at `timestamp` (whole Unix seconds) with `nonce`.
    pub const fn new(timestamp: u64, nonce: Nonce) -> Self {
        Self { timestamp, nonce }
    }

    /// Signs at `time` (truncated to whole seconds; times before 1970 count
    /// as 0) with `nonce`.
    pub fn at(time: SystemTime, nonce: Nonce) -> Self {
        Self::new(unix_seconds(time), nonce)
    }

    /// The system clock shifted by `clock_offset` (the server's clock minus
    /// ours, as measured from a `Date` header) and a nonce from `nonces`.
    pub fn now_corrected(
        now: SystemTime,
        clock_offset_secs: i64,
        nonces: &dyn NonceSource,
    ) -> Result<Self, BuildError> {
        let corrected = shift(now, clock_offset_secs);
        Ok(Self::at(corrected, nonces.next_nonce()?))
    }

    /// The system clock and an OS-random nonce: the convenience constructor.
    #[cfg(feature = "getrandom")]
    #[cfg_attr(docsrs, doc(cfg(feature = "getrandom")))]
    pub fn now() -> Result<Self, BuildError> {
        Self::now_corrected(SystemTime::now(), 0, &OsNonces)
    }

    /// Whole Unix seconds.
    pub const fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The nonce.
    pub const fn nonce(&self) -> Nonce {
        self.nonce
    }
}

/// Whole seconds since the Unix epoch; 0 for earlier times.
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `time` moved by a signed number of seconds, saturating at the epoch.
pub(crate) fn shift(time: SystemTime, secs: i64) -> SystemTime {
    let delta = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        time.checked_add(delta).unwrap_or(time)
    } else {
        time.checked_sub(delta)
            .filter(|t| *t >= UNIX_EPOCH)
            .unwrap_or(UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_nonces_wrap_inside_the_range() {
        let nonces = SequentialNonces::starting_at(Nonce::MAX);
        assert_eq!(nonces.next_nonce().unwrap().get(), Nonce::MAX);
        assert_eq!(nonces.next_nonce().unwrap().get(), 1);
        let zero = SequentialNonces::starting_at(0);
        assert_eq!(zero.next_nonce().unwrap().get(), Nonce::MAX);
    }

    #[cfg(feature = "getrandom")]
    #[test]
    fn random_nonces_stay_in_range_and_vary() {
        let draws: Vec<u32> = (0..64).map(|_| Nonce::random().unwrap().get()).collect();
        assert!(draws.iter().all(|n| (1..=Nonce::MAX).contains(n)));
        let distinct: std::collections::BTreeSet<_> = draws.iter().collect();
        assert!(
            distinct.len() > 60,
            "64 draws from 2^31 values should not repeat"
        );
    }

    #[test]
    fn shift_saturates() {
        assert_eq!(shift(UNIX_EPOCH, -5), UNIX_EPOCH);
        assert_eq!(unix_seconds(shift(UNIX_EPOCH, 90)), 90);
    }
}
