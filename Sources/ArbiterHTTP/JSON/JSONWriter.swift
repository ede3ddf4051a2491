import ArbiterCore
import Foundation

/// JSON text that is already valid (a stored payload or result) and is written out unchanged.
struct RawJSON {
    let text: String
}

/// Writes the values the API builds (`[String: Any]`, `[Any]`, strings, numbers, booleans, `NSNull`,
/// ``RawJSON``) and the values `JSONSerialization` parses, as compact JSON with object keys in
/// byte order.
///
/// Foundation's writer with `.sortedKeys` compares keys through ICU collation, which made a
/// 1,000-job batch answer take longer than storing the jobs; byte order is also what makes the
/// output canonical for request hashes.
enum JSONWriter {
    static func bytes(_ value: Any) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        self.write(value, into: &out)
        return out
    }

    static func string(_ value: Any) -> String {
        String(decoding: self.bytes(value), as: UTF8.self)
    }

    static func write(_ value: Any, into out: inout [UInt8]) {
        // The native types the API builds, by exact type first. A cast to a class (`is NSNull`,
        // `as NSNumber`) bridges a Swift dictionary, array or string to its Foundation class before it
        // can fail: on the worker channel that was a fifth of the daemon's time per job.
        let kind = type(of: value)
        if kind == String.self {
            self.writeString(value as! String, into: &out)
        } else if kind == [String: Any].self {
            self.writeObject(value as! [String: Any], into: &out)
        } else if kind == RawJSON.self {
            out.append(contentsOf: (value as! RawJSON).text.utf8)
        } else if kind == Int.self {
            out.append(contentsOf: String(value as! Int).utf8)
        } else if kind == Int64.self {
            out.append(contentsOf: String(value as! Int64).utf8)
        } else if kind == Bool.self {
            out.append(contentsOf: ((value as! Bool) ? "true" : "false").utf8)
        } else if kind == [Any].self {
            self.writeArray(value as! [Any], into: &out)
        } else if kind == [String].self {
            self.writeArray(value as! [String], into: &out)
        } else if kind == [[String: Any]].self {
            self.writeArray(value as! [[String: Any]], into: &out)
        } else {
            self.writeOther(value, into: &out)
        }
    }

    /// Whatever the exact-type paths do not take: `NSNull`, what `JSONSerialization` parsed, other arrays.
    private static func writeOther(_ value: Any, into out: inout [UInt8]) {
        switch value {
        case is NSNull:
            out.append(contentsOf: "null".utf8)
        case let raw as RawJSON:
            out.append(contentsOf: raw.text.utf8)
        case let text as String:
            self.writeString(text, into: &out)
        case let object as [String: Any]:
            self.writeObject(object, into: &out)
        case let array as [Any]:
            self.writeArray(array, into: &out)
        default:
            self.writeScalar(value, into: &out)
        }
    }

    private static func writeObject(_ object: [String: Any], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, key) in object.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            self.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            self.write(object[key]!, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func writeArray<Element>(_ array: [Element], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, element) in array.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            self.write(element, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func writeScalar(_ value: Any, into out: inout [UInt8]) {
        // Native Swift values first, by exact type: a bridged NSNumber would match `as Int` or `as Bool` too.
        switch value {
        case let flag as Bool where type(of: value) == Bool.self:
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        case let number as Int where type(of: value) == Int.self:
            out.append(contentsOf: String(number).utf8)
        case let number as Int64 where type(of: value) == Int64.self:
            out.append(contentsOf: String(number).utf8)
        case let number as Double where type(of: value) == Double.self:
            self.writeDouble(number, into: &out)
        case let number as NSNumber:
            // What JSONSerialization parsed: a boolean, an exact integer, or a double.
            let kind = String(cString: number.objCType)
            if kind == "c" || kind == "B" {
                out.append(contentsOf: (number.boolValue ? "true" : "false").utf8)
            } else if kind == "d" || kind == "f" {
                self.writeDouble(number.doubleValue, into: &out)
            } else if kind == "Q" {
                out.append(contentsOf: String(number.uint64Value).utf8)
            } else {
                out.append(contentsOf: String(number.int64Value).utf8)
            }
        default:
            out.append(contentsOf: "null".utf8)
        }
    }

    private static func writeDouble(_ number: Double, into out: inout [UInt8]) {
        guard number.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        if number.rounded() == number, abs(number) < 1e15 {
            out.append(contentsOf: String(Int64(number)).utf8)
        } else {
            out.append(contentsOf: "\(number)".utf8)
        }
    }

    static func writeString(_ text: String, into out: inout [UInt8]) {
        JSONString.append(text, to: &out)
    }
}
