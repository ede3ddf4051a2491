import ArbiterStorage
import ArbiterTesting
import Testing

/// Text is bound and read by its length: U+0000 (JSON's "\u0000", which any API field may hold) neither
/// cuts a stored value short nor makes two different values equal.
@Suite struct SQLiteTextTests {
    @Test func textHoldingNULRoundTrips() throws {
        let directory = try TemporaryDirectory(prefix: "sqlite")
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("text.db"))
        try connection.execute("CREATE TABLE t (v TEXT)")
        for value in ["a\u{0}b", "\u{0}", "", "é\u{0}😀"] {
            try connection.execute("DELETE FROM t")
            _ = try connection.query("INSERT INTO t (v) VALUES (?)", [.text(value)])
            let rows = try connection.query("SELECT v, length(CAST(v AS BLOB)) FROM t")
            #expect(rows == [[.text(value), .integer(Int64(value.utf8.count))]], "\(Array(value.utf8))")
            #expect(try connection.query("SELECT count(*) FROM t WHERE v = ?", [.text(value)]) == [[1]])
        }
        _ = try connection.query("INSERT INTO t (v) VALUES (?)", ["w\u{0}"])
        #expect(try connection.query("SELECT count(*) FROM t WHERE v = ?", ["w"]) == [[0]])
    }
}
