/// Go's `math.Pow`, `Exp`, `Log`, `Log2` and `Log10`, which PromQL's `^`, `exp`, `ln`, `log2` and
/// `log10` are: bit for bit as Prometheus 2.42 computes them on x86-64 (Debian builds it with Go 1.19).
///
/// The C library's functions are correctly rounded or nearly so; Go's are not, and differ from them in
/// the last digits (up to 8 ulps on `x ^ 1.2345`) and at a few edges:
/// - `Exp` is assembly on amd64: a Taylor series of e^(r/16) on an argument reduced by ln 2, squared
///   four times, with fused multiply-adds when the CPU has AVX and FMA (x86-64 CPUs have had them
///   since about 2013; this code always fuses). Its range check overflows to +Inf from x ≈ 709.44 on,
///   where e^x is still finite.
/// - `Log` is assembly on amd64 too: fdlibm's polynomial, but the argument is split with a bit mask
///   that reads a subnormal as a normal number, so `ln(5e-324)` is -709.09 rather than -744.44.
/// - `Pow` raises to the integer part of the exponent by repeated squaring with the powers of two kept
///   apart, and to the fraction through `Exp` and `Log`.
/// - `Log2` splits off the exponent first (exact for powers of two); `Log10` scales `Log`.
enum GoMath {
    /// `x ^ y` as Go's `math.Pow`.
    static func pow(_ x: Double, _ y: Double) -> Double {
        if y == 0 || x == 1 { return 1 }
        if y == 1 { return x }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 {
            // y is neither 0 nor NaN here.
            let keepsSign = x.sign == .minus && Self.isOddInteger(y)
            if y < 0 { return keepsSign ? -.infinity : .infinity }
            return keepsSign ? x : 0
        }
        if y.isInfinite {
            if x == -1 { return 1 }
            return (x.magnitude < 1) == (y > 0) ? 0 : .infinity
        }
        if x.isInfinite {
            // (-Inf)^y is (-0)^-y.
            if x < 0 { return Self.pow(1 / x, -y) }
            return y < 0 ? 0 : .infinity
        }
        if y == 0.5 { return x.squareRoot() }
        if y == -0.5 { return 1 / x.squareRoot() }

        var whole = y.magnitude.rounded(.towardZero)
        var fraction = y.magnitude - whole
        if fraction != 0 && x < 0 { return .nan }
        if whole >= 0x1p63 {
            // An even integer this large overflows or underflows for every x but -1 (1 was handled).
            if x == -1 { return 1 }
            return (x.magnitude < 1) == (y > 0) ? 0 : .infinity
        }

        // The result is mantissa * 2^exponent.
        var mantissa = 1.0
        var exponent = 0
        if fraction != 0 {
            // A fraction in (-0.5, 0.5] keeps the argument of Exp small.
            if fraction > 0.5 {
                fraction -= 1
                whole += 1
            }
            mantissa = Self.exp(fraction * Self.log(x))
        }

        // x^whole by squaring, the powers of two carried in an integer so they cannot overflow.
        var (base, baseExponent) = Self.frexp(x)
        var bits = Int64(whole)
        while bits != 0 {
            if baseExponent < -(1 << 12) || baseExponent > 1 << 12 {
                // Out of any double's range already, and the bits left only push it further out:
                // the final scaling gives 0 or Inf.
                exponent += baseExponent
                break
            }
            if bits & 1 == 1 {
                mantissa *= base
                exponent += baseExponent
            }
            base *= base
            baseExponent <<= 1
            if base < 0.5 {
                base += base
                baseExponent -= 1
            }
            bits >>= 1
        }

        if y < 0 {
            mantissa = 1 / mantissa
            exponent = -exponent
        }
        return Self.ldexp(mantissa, exponent)
    }

    /// e^x as Go's `math.Exp` on amd64 with FMA.
    static func exp(_ x: Double) -> Double {
        if x.isNaN || x == .infinity { return x }
        if x == -.infinity { return 0 }
        if x > Exp.overflow { return .infinity }
        // k = x / ln 2 rounded half to even, as CVTSD2SL does; far below -1075 every result is 0 (the
        // assembly's out-of-range conversion ends there too).
        let k = (x * Exp.log2e).rounded(.toNearestOrEven)
        if k < -1100 { return 0 }
        var r = x.addingProduct(-Exp.ln2Upper, k)
        r = r.addingProduct(-Exp.ln2Lower, k)
        r *= 0.0625
        var series = Exp.c8
        series = Exp.c7.addingProduct(series, r)
        series = Exp.c6.addingProduct(series, r)
        series = Exp.c5.addingProduct(series, r)
        series = Exp.c4.addingProduct(series, r)
        series = Exp.c3.addingProduct(series, r)
        series = Exp.c2.addingProduct(series, r)
        series = Exp.c1.addingProduct(series, r)
        // e^(r/16) - 1, then squared four times as (t + 2) * t, which is (t + 1)^2 - 1.
        r *= series
        r *= r + 2
        r *= r + 2
        r *= r + 2
        r = Exp.c1.addingProduct(r + 2, r)

        let biased = Int(k) + 0x3FF
        if biased >= 0x7FF { return .infinity }
        if biased > 0 { return r * Double(bitPattern: UInt64(biased) << 52) }
        if biased < -52 { return 0 }
        // A subnormal result: scaled to 2^(k + 1022), then by 2^-1022, rounding twice as the assembly does.
        return r * Double(bitPattern: UInt64(biased + 0x3FE) << 52) * Double.leastNormalMagnitude
    }

    /// The natural logarithm as Go's `math.Log` on amd64.
    static func log(_ x: Double) -> Double {
        let bits = x.bitPattern
        if bits & ~Self.signBit == 0 { return -.infinity }
        if bits & Self.signBit != 0 { return .nan }
        if bits >= Self.exponentMask { return x }
        // x = f1 * 2^k with f1 in [0.5, 1), taken from the bits: a subnormal's leading zeros are not
        // counted, so it is read as 2^-1022 * (1 + its significand / 2^52) / 2.
        var f1 = Double(bitPattern: bits & Self.significandMask | Self.halfExponent)
        var k = Double(Int((bits & Self.exponentMask) >> 52) - 0x3FE)
        if f1 <= Log.sqrt2Over2 {
            k -= 1
            f1 *= 2
        }
        let f = f1 - 1
        let s = f / (2 + f)
        let s2 = s * s
        let s4 = s2 * s2
        let t1 = s2 * (Log.l1 + s4 * (Log.l3 + s4 * (Log.l5 + s4 * Log.l7)))
        let t2 = s4 * (Log.l2 + s4 * (Log.l4 + s4 * Log.l6))
        let r = t1 + t2
        let hfsq = 0.5 * f * f
        return k * Log.ln2Hi - ((hfsq - (s * (hfsq + r) + k * Log.ln2Lo)) - f)
    }

    /// The binary logarithm as Go's `math.Log2`.
    static func log2(_ x: Double) -> Double {
        let (fraction, exponent) = Self.frexp(x)
        // Powers of two come out exact.
        if fraction == 0.5 { return Double(exponent - 1) }
        return Self.log(fraction) * Self.inverseLn2 + Double(exponent)
    }

    /// The decimal logarithm as Go's `math.Log10`.
    static func log10(_ x: Double) -> Double {
        Self.log(x) * Self.inverseLn10
    }

    /// Go's `math.Frexp`: `x = fraction * 2^exponent` with |fraction| in [0.5, 1), subnormals
    /// included; 0, infinities and NaN come back as they are with exponent 0.
    static func frexp(_ x: Double) -> (fraction: Double, exponent: Int) {
        guard x.isFinite, x != 0 else { return (x, 0) }
        var value = x
        var exponent = 0
        if value.magnitude < Double.leastNormalMagnitude {
            value *= 0x1p52
            exponent = -52
        }
        let bits = value.bitPattern
        exponent += Int((bits & Self.exponentMask) >> 52) - 0x3FE
        return (Double(bitPattern: bits & ~Self.exponentMask | Self.halfExponent), exponent)
    }

    /// Go's `math.Ldexp`: `fraction * 2^exponent`, rounded once even when the result is subnormal.
    static func ldexp(_ fraction: Double, _ exponent: Int) -> Double {
        guard fraction.isFinite, fraction != 0 else { return fraction }
        let (normalized, ownExponent) = Self.frexp(fraction)
        // fraction * 2^exponent = significand * 2^scale with |significand| in [1, 2).
        let significand = normalized * 2
        let scale = ownExponent + exponent - 1
        if scale < -1075 { return fraction.sign == .minus ? -0.0 : 0 }
        if scale > 1023 { return fraction.sign == .minus ? -.infinity : .infinity }
        if scale < -1022 { return significand * Self.powerOfTwo(scale + 53) * 0x1p-53 }
        return significand * Self.powerOfTwo(scale)
    }

    /// 2^n for n in -1022...1023.
    private static func powerOfTwo(_ n: Int) -> Double {
        Double(bitPattern: UInt64(n + 0x3FF) << 52)
    }

    private static func isOddInteger(_ x: Double) -> Bool {
        guard x.magnitude < 0x1p53, x.rounded(.towardZero) == x else { return false }
        return Int64(x) & 1 == 1
    }

    private static let signBit: UInt64 = 0x8000_0000_0000_0000
    private static let exponentMask: UInt64 = 0x7FF0_0000_0000_0000
    private static let significandMask: UInt64 = 0x000F_FFFF_FFFF_FFFF
    /// The exponent field of 0.5.
    private static let halfExponent: UInt64 = 0x3FE0_0000_0000_0000

    // Constants are hexadecimal so that the literal is the exact double (a decimal one may be rounded
    // twice on the way in).

    /// 1 / ln 2 and 1 / ln 10, rounded once (Go evaluates `1/Ln2` exactly at compile time).
    private static let inverseLn2 = 0x1.71547652b82fep0
    private static let inverseLn10 = 0x1.bcb7b1526e50ep-2

    /// The amd64 `Exp`'s constants (from Shibata's SLEEF): 1 / ln 2, ln 2 in two parts, the overflow
    /// bound 709.782712893384, and the Taylor coefficients 1/1! ... 1/8!.
    private enum Exp {
        static let log2e = 0x1.71547652b82fep0
        static let ln2Upper = 0x1.62e42fefa3000p-1
        static let ln2Lower = 0x1.3de6af278ece6p-42
        static let overflow = 0x1.62e42fefa39efp9
        static let c1 = 1.0
        static let c2 = 0.5
        static let c3 = 0x1.5555555555555p-3
        static let c4 = 0x1.5555555555555p-5
        static let c5 = 0x1.1111111111111p-7
        static let c6 = 0x1.6c16c16c16c17p-10
        static let c7 = 0x1.a01a01a01a01ap-13
        static let c8 = 0x1.a01a01a01a01ap-16
    }

    /// fdlibm's `log` constants: √2 / 2, ln 2 in two parts, and the polynomial's coefficients.
    private enum Log {
        static let sqrt2Over2 = 0x1.6a09e667f3bcdp-1
        static let ln2Hi = 0x1.62e42fee00000p-1
        static let ln2Lo = 0x1.a39ef35793c76p-33
        static let l1 = 0x1.5555555555593p-1
        static let l2 = 0x1.999999997fa04p-2
        static let l3 = 0x1.2492494229359p-2
        static let l4 = 0x1.c71c51d8e78afp-3
        static let l5 = 0x1.7466496cb03dep-3
        static let l6 = 0x1.39a09d078c69fp-3
        static let l7 = 0x1.2f112df3e5244p-3
    }
}
