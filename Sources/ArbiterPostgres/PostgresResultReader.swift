import CLibPQ

/// Turns a `PGresult` in text form into rows, decoding each column by its type.
enum PostgresResultReader {
    // Type OIDs from PostgreSQL's catalog (`pg_type`); stable since long before any supported version.
    private static let bool: Oid = 16
    private static let bytea: Oid = 17
    private static let int8: Oid = 20
    private static let int2: Oid = 21
    private static let int4: Oid = 23
    private static let oid: Oid = 26

    static func rows(_ result: OpaquePointer) -> [PostgresRow] {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        guard rowCount > 0 else { return [] }
        let types = (0..<columnCount).map { PQftype(result, $0) }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [PostgresValue] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                guard PQgetisnull(result, row, column) == 0, let pointer = PQgetvalue(result, row, column) else {
                    values.append(.null)
                    continue
                }
                let bytes = UnsafeRawBufferPointer(start: pointer, count: Int(PQgetlength(result, row, column)))
                values.append(self.decode(bytes, type: types[Int(column)], pointer: pointer))
            }
            rows.append(PostgresRow(values))
        }
        return rows
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, type: Oid, pointer: UnsafePointer<CChar>) -> PostgresValue {
        switch type {
        case self.int8, self.int4, self.int2, self.oid:
            if let integer = self.integer(bytes) { return .int64(integer) }
            return .text(String(decoding: bytes, as: UTF8.self))
        case self.bool:
            return .bool(bytes.first == UInt8(ascii: "t"))
        case self.bytea:
            return .bytea(self.bytea(bytes, pointer: pointer))
        default:
            return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    private static func integer(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        let negative = bytes[0] == UInt8(ascii: "-")
        var value: Int64 = 0
        for byte in bytes.dropFirst(negative ? 1 : 0) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAgain) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow, !overflowAgain else { return nil }
            value = sum
        }
        return value
    }

    /// `bytea` in the server's hex form (`\x…`, the default), or in the older escape form through libpq.
    private static func bytea(_ bytes: UnsafeRawBufferPointer, pointer: UnsafePointer<CChar>) -> [UInt8] {
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x") {
            var out: [UInt8] = []
            out.reserveCapacity((bytes.count - 2) / 2)
            var index = 2
            while index + 1 < bytes.count {
                guard let high = self.hexDigit(bytes[index]), let low = self.hexDigit(bytes[index + 1]) else { break }
                out.append(high << 4 | low)
                index += 2
            }
            return out
        }
        var length = 0
        let unescaped = pointer.withMemoryRebound(to: UInt8.self, capacity: bytes.count + 1) { PQunescapeBytea($0, &length) }
        guard let unescaped else { return [] }
        defer { PQfreemem(unescaped) }
        return Array(UnsafeBufferPointer(start: unescaped, count: length))
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
