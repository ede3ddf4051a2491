/// Commands as RESP arrays of bulk strings, the form Redis reads any command in: binary safe, so
/// arguments may hold spaces, newlines or anything else.
enum RedisCommandEncoder {
    /// The bytes for `commands`, one after the other (a pipeline).
    static func encode(_ commands: [[String]]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(commands.reduce(0) { total, command in total + 16 + command.reduce(0) { $0 + $1.utf8.count + 16 } })
        for command in commands {
            self.appendHeader(UInt8(ascii: "*"), command.count, to: &bytes)
            for argument in command {
                let utf8 = argument.utf8
                self.appendHeader(UInt8(ascii: "$"), utf8.count, to: &bytes)
                bytes.append(contentsOf: utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
            }
        }
        return bytes
    }

    private static func appendHeader(_ marker: UInt8, _ count: Int, to bytes: inout [UInt8]) {
        bytes.append(marker)
        bytes.append(contentsOf: String(count).utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
    }
}
