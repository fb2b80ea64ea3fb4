//! An emulator for synchronous code: its own runtime on its own thread.

use std::ops::Deref;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::builder::EmulatorBuilder;
use crate::control::EmulatorControl;
use crate::error::StartError;

/// A running emulator served from a background thread, for code without a
/// Tokio runtime (such as tests of the blocking `ureq` adapter).
///
/// Dereferences to [`EmulatorControl`]. Dropping it shuts the emulator down
/// and waits for the thread.
///
/// ```
/// use std::io::{Read, Write};
/// use qb_auth_emulator::Emulator;
///
/// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
/// let mut stream = std::net::TcpStream::connect(emulator.local_addr())?;
/// stream.write_all(b"GET /users.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// let mut answer = String::new();
/// stream.read_to_string(&mut answer)?;
/// assert!(answer.starts_with("HTTP/1.1 401"));
/// assert!(answer.ends_with(r#"{"errors":["Token is required"]}"#));
/// emulator.shutdown();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BlockingEmulator {
    control: EmulatorControl,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BlockingEmulator {
    pub(crate) fn start(builder: EmulatorBuilder) -> Result<Self, StartError> {
        builder.validate()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(StartError::Runtime)?;
        let (started_tx, started_rx) = mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("qb-auth-emulator".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let handle = match builder.start().await {
                        Ok(handle) => handle,
                        Err(err) => {
                            let _ = started_tx.send(Err(err));
                            return;
                        }
                    };
                    if started_tx.send(Ok(handle.control())).is_err() {
                        handle.shutdown().await;
                        return;
                    }
                    // Stops on request, or when the BlockingEmulator is gone.
                    let _ = stopped.await;
                    handle.shutdown().await;
                });
            })
            .map_err(StartError::Runtime)?;
        match started_rx.recv() {
            Ok(Ok(control)) => Ok(Self {
                control,
                stop: Some(stop),
                thread: Some(thread),
            }),
            Ok(Err(err)) => {
                let _ = thread.join();
                Err(err)
            }
            Err(_) => {
                let _ = thread.join();
                Err(StartError::Runtime(std::io::Error::other(
                    "the emulator thread ended before starting",
                )))
            }
        }
    }

    /// A clonable control that can move into other threads.
    pub fn control(&self) -> EmulatorControl {
        self.control.clone()
    }

    /// Stops accepting, lets requests in flight finish (up to 5 seconds),
    /// and returns once the thread has ended.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Deref for BlockingEmulator {
    type Target = EmulatorControl;

    fn deref(&self) -> &EmulatorControl {
        &self.control
    }
}

impl Drop for BlockingEmulator {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
