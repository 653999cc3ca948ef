//! Subnormal floats flushed to zero while a network trains, as XLA and oneDNN do.
//!
//! A dead ReLU's weights get exact-zero gradients, and Adam's first moment then decays by
//! `beta1` each step into the subnormal range (below 1.2e-38 in f32) within a few hundred
//! steps; on x86 every operation on a subnormal takes a microcode assist (~100 cycles), which
//! made the optimizer a third of a ReLU network's epoch (BENCHMARKS "Dense training
//! kernels"). Flushing changes only values below f32's (f64's) smallest normal number.

/// Sets the calling thread's flush-to-zero and denormals-are-zero modes until dropped, then
/// restores what was there. A no-op off x86-64.
pub(crate) struct FlushDenormals {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

/// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) flags.
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

impl FlushDenormals {
    /// Flushes subnormals on this thread from now until the guard is dropped.
    pub(crate) fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let saved = read_mxcsr();
            if saved & FTZ_DAZ != FTZ_DAZ {
                write_mxcsr(saved | FTZ_DAZ);
            }
            FlushDenormals { saved }
        }
        #[cfg(not(target_arch = "x86_64"))]
        FlushDenormals {}
    }
}

impl Drop for FlushDenormals {
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        if self.saved & FTZ_DAZ != FTZ_DAZ {
            write_mxcsr(self.saved);
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn read_mxcsr() -> u32 {
    let mut value: u32 = 0;
    // SAFETY: stmxcsr stores the 32-bit control register to the given address, nothing else;
    // every x86-64 CPU has SSE.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut value, options(nostack, preserves_flags))
    };
    value
}

#[cfg(target_arch = "x86_64")]
fn write_mxcsr(value: u32) {
    // SAFETY: only the flush and denormal modes differ from the value read, neither of which
    // unmasks an exception or changes rounding.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &value, options(nostack, preserves_flags)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flushes_inside_the_guard_and_restores_after() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let half = std::hint::black_box(0.5f32);
        assert!((tiny * half) > 0.0, "subnormal results before the guard");
        {
            let _flush = FlushDenormals::new();
            #[cfg(target_arch = "x86_64")]
            assert_eq!(std::hint::black_box(tiny) * half, 0.0);
        }
        assert!((tiny * half) > 0.0, "the mode is restored after the guard");
    }
}
