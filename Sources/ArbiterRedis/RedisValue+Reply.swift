import CHiredis

extension RedisValue {
    /// Reads a reply hiredis parsed; the caller frees it.
    /// - Returns: The value, or the error Redis answered with. An error nested in an array (possible in
    ///   `EXEC`'s answer, never in the commands Arbiter sends) fails the whole reply, as there is no
    ///   value to carry it.
    static func from(_ reply: UnsafePointer<redisReply>) -> Result<RedisValue, RedisError> {
        do throws(RedisError) {
            return .success(try self.decode(reply))
        } catch {
            return .failure(error)
        }
    }

    private static func decode(_ reply: UnsafePointer<redisReply>) throws(RedisError) -> RedisValue {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            return .string(self.text(node))
        case REDIS_REPLY_STATUS:
            return .status(self.text(node))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(node.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(node.elements)
            for index in 0..<node.elements {
                guard let element = node.element[index] else {
                    elements.append(.null)
                    continue
                }
                elements.append(try self.decode(element))
            }
            return .array(elements)
        case REDIS_REPLY_ERROR:
            throw RedisError(kind: .reply, message: self.text(node))
        default:
            throw RedisError(kind: .reply, message: "a reply of unknown type \(node.type)")
        }
    }

    private static func text(_ node: redisReply) -> String {
        guard let bytes = node.str, node.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: node.len), as: UTF8.self)
    }
}
