//! The plain types the operations take: element types, operation codes, mask kinds,
//! quantization parameters. The codes are those of the Linux shim (`shim/ops.h`, `shim/array.h`)
//! and decoded by the macOS backend ([`Code`]); this module depends on nothing else in the crate.

/// An enum passed to the backends as its `u8` code (its discriminant; codes run from 0).
pub trait Code: Sized + Copy + 'static {
    /// Every value, in code order.
    const ALL: &'static [Self];
    /// The value of `code`, if any.
    fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
}

/// Declares a `#[repr(u8)]` enum and its [`Code`] (every variant, in order), from one list.
macro_rules! coded {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$meta])*
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $code,)*
        }
        impl Code for $name {
            const ALL: &'static [$name] = &[$($name::$variant,)*];
        }
    };
}

coded! {
/// Element types BenchBar uses (codes shared with the C++ shim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// bool
    Bool = 0,
    /// uint8
    U8 = 1,
    /// uint32 (packed quantized weights, argmax/argsort results)
    U32 = 2,
    /// int32 (token ids, positions)
    I32 = 3,
    /// int64
    I64 = 4,
    /// float16
    F16 = 5,
    /// bfloat16
    BF16 = 6,
    /// float32
    F32 = 7,
}
}

impl Dtype {
    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            Dtype::Bool | Dtype::U8 => 1,
            Dtype::F16 | Dtype::BF16 => 2,
            Dtype::U32 | Dtype::I32 | Dtype::F32 => 4,
            Dtype::I64 => 8,
        }
    }
    /// Whether this is a floating-point type.
    pub fn is_float(self) -> bool {
        matches!(self, Dtype::F16 | Dtype::BF16 | Dtype::F32)
    }
}

coded! {
/// Broadcasting binary operations (codes shared with the C++ shim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// a + b
    Add = 0,
    /// a - b
    Sub = 1,
    /// a * b
    Mul = 2,
    /// a / b
    Div = 3,
    /// max(a, b)
    Maximum = 4,
    /// min(a, b)
    Minimum = 5,
    /// a < b
    Less = 6,
    /// a <= b
    LessEqual = 7,
    /// a > b
    Greater = 8,
    /// a >= b
    GreaterEqual = 9,
    /// a == b
    Equal = 10,
    /// a && b
    LogicalAnd = 11,
    /// floor(a / b)
    FloorDivide = 12,
    /// a ^ b
    Power = 13,
    /// log(e^a + e^b) (`logaddexp(x, 0)` is mlx's softplus)
    LogAddExp = 14,
}
}

coded! {
/// Unary operations (codes shared with the C++ shim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// 1 / (1 + e^-x)
    Sigmoid = 0,
    /// e^x
    Exp = 1,
    /// ln x
    Log = 2,
    /// -x
    Neg = 3,
    /// !x
    LogicalNot = 4,
    /// x * sigmoid(x), as `mlx.nn.silu`
    Silu = 5,
    /// Identity as a new graph node that shares its input's buffer (`stop_gradient`: no kernel).
    /// The decode loop hands such a node to its timestamp thread, which waits on it without
    /// touching the arrays the decode thread uses.
    StopGradient = 6,
}
}

coded! {
/// Single-axis reductions (codes shared with the C++ shim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    /// sum
    Sum = 0,
    /// max
    Max = 1,
    /// min
    Min = 2,
    /// log(sum(exp))
    LogSumExp = 3,
    /// index of the max (uint32)
    ArgMax = 4,
}
}

coded! {
/// Attention mask passed to [`scaled_dot_product_attention`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskKind {
    /// No mask (every query sees every key).
    None = 0,
    /// Causal, aligned to the end: query i of L sees keys `..= kL - L + i`.
    Causal = 1,
    /// Explicit mask array broadcastable to `[B, H, L, kL]` (bool: true = attend).
    Array = 2,
}
}

coded! {
/// MLX quantization modes (`mode` of a checkpoint's `quantization` block; codes shared with the
/// C++ shim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantMode {
    /// Per-group scale and bias in the weight's type; 2, 3, 4, 5, 6 or 8 bits, groups of 32,
    /// 64 or 128.
    Affine = 0,
    /// OCP MX fp4: 4 bits, groups of 32, an 8-bit power-of-two scale, no bias.
    Mxfp4 = 1,
    /// NVIDIA fp4: 4 bits, groups of 16, an fp8 scale, no bias.
    Nvfp4 = 2,
    /// OCP MX fp8: 8 bits, groups of 32, an 8-bit power-of-two scale, no bias.
    Mxfp8 = 3,
}
}

impl QuantMode {
    /// The name MLX and the checkpoints use.
    pub fn name(self) -> &'static str {
        match self {
            QuantMode::Affine => "affine",
            QuantMode::Mxfp4 => "mxfp4",
            QuantMode::Nvfp4 => "nvfp4",
            QuantMode::Mxfp8 => "mxfp8",
        }
    }

    /// The mode called `name`, if MLX has it.
    pub fn parse(name: &str) -> Option<QuantMode> {
        QuantMode::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// Whether the mode stores a bias per group (affine only).
    pub fn has_biases(self) -> bool {
        self == QuantMode::Affine
    }
}

/// MLX quantization parameters of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantParams {
    /// Elements sharing one scale (and bias).
    pub group_size: i32,
    /// Bits per element.
    pub bits: i32,
    /// How the groups are encoded.
    pub mode: QuantMode,
}

impl QuantParams {
    /// Affine quantization with `group_size` and `bits`.
    pub const fn affine(group_size: i32, bits: i32) -> QuantParams {
        QuantParams {
            group_size,
            bits,
            mode: QuantMode::Affine,
        }
    }

    /// Why MLX has no such quantization (`None`: it has): affine takes 2, 3, 4, 5, 6 or 8 bits
    /// in groups of 32, 64 or 128; mxfp4 is 4 bits in groups of 32, nvfp4 4 bits in groups of
    /// 16, mxfp8 8 bits in groups of 32.
    pub fn unsupported(&self) -> Option<String> {
        let ok = match self.mode {
            QuantMode::Affine => {
                [2, 3, 4, 5, 6, 8].contains(&self.bits) && [32, 64, 128].contains(&self.group_size)
            }
            QuantMode::Mxfp4 => (self.bits, self.group_size) == (4, 32),
            QuantMode::Nvfp4 => (self.bits, self.group_size) == (4, 16),
            QuantMode::Mxfp8 => (self.bits, self.group_size) == (8, 32),
        };
        (!ok).then(|| {
            format!(
                "{} quantization with {} bits in groups of {} (MLX has affine with 2, 3, 4, 5, 6 \
                 or 8 bits in groups of 32, 64 or 128; mxfp4 4/32; nvfp4 4/16; mxfp8 8/32)",
                self.mode.name(),
                self.bits,
                self.group_size
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_follow_discriminants<T: Code + PartialEq + std::fmt::Debug>(disc: impl Fn(T) -> u8) {
        for (i, v) in T::ALL.iter().enumerate() {
            assert_eq!(disc(*v) as usize, i, "{v:?}");
            assert_eq!(T::from_code(i as u8), Some(*v));
        }
        assert_eq!(T::from_code(T::ALL.len() as u8), None);
    }

    #[test]
    fn every_code_decodes_to_its_value() {
        codes_follow_discriminants(|d: Dtype| d as u8);
        codes_follow_discriminants(|o: BinaryOp| o as u8);
        codes_follow_discriminants(|o: UnaryOp| o as u8);
        codes_follow_discriminants(|o: ReduceOp| o as u8);
        codes_follow_discriminants(|m: MaskKind| m as u8);
        codes_follow_discriminants(|m: QuantMode| m as u8);
    }
}

#[cfg(test)]
mod quant_tests {
    use super::*;

    #[test]
    fn mlx_quantizations_are_accepted_and_others_named() {
        for q in [
            QuantParams::affine(64, 4),
            QuantParams::affine(32, 2),
            QuantParams::affine(128, 6),
            QuantParams::affine(64, 5),
            QuantParams::affine(64, 3),
            QuantParams::affine(64, 8),
            QuantParams {
                group_size: 32,
                bits: 4,
                mode: QuantMode::Mxfp4,
            },
            QuantParams {
                group_size: 16,
                bits: 4,
                mode: QuantMode::Nvfp4,
            },
            QuantParams {
                group_size: 32,
                bits: 8,
                mode: QuantMode::Mxfp8,
            },
        ] {
            assert_eq!(q.unsupported(), None, "{q:?}");
        }
        for q in [
            QuantParams::affine(64, 7),
            QuantParams::affine(16, 4),
            QuantParams {
                group_size: 64,
                bits: 4,
                mode: QuantMode::Mxfp4,
            },
            QuantParams {
                group_size: 32,
                bits: 4,
                mode: QuantMode::Nvfp4,
            },
        ] {
            let why = q.unsupported().expect("refused");
            assert!(why.starts_with(q.mode.name()), "{why}");
        }
        assert_eq!(QuantMode::parse("mxfp8"), Some(QuantMode::Mxfp8));
        assert_eq!(QuantMode::parse("int4"), None);
    }
}
