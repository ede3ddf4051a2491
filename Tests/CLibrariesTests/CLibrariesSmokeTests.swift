import CHiredis
import CLibPQ
import CProtobufC
import CSQLite
import CSnappy
import Testing

/// Each Debian C library stays linkable: a broken module map or a missing -dev package fails here.
@Suite struct CLibrariesSmokeTests {
    @Test func libpqReportsItsVersion() {
        #expect(PQlibVersion() >= 150_000)
    }

    @Test func sqliteReportsItsVersion() {
        let version = String(cString: sqlite3_libversion())
        #expect(version.hasPrefix("3."))
        #expect(sqlite3_libversion_number() >= 3_040_000)
    }

    @Test func protobufCReportsItsVersion() {
        #expect(String(cString: protobuf_c_version()).hasPrefix("1."))
        #expect(protobuf_c_version_number() >= 1_004_000)
    }

    @Test func hiredisReaderIsLinkable() {
        // hiredis 0.14 has no version function; creating and freeing a reply reader proves the link.
        let reader = redisReaderCreate()
        #expect(reader != nil)
        redisReaderFree(reader)
        #expect(HIREDIS_MAJOR == 0 || HIREDIS_MAJOR == 1)
    }

    @Test func snappyRoundTrips() {
        let input = [CChar](repeating: 65, count: 64)
        var compressed = [CChar](repeating: 0, count: snappy_max_compressed_length(input.count))
        var compressedLength = compressed.count
        #expect(snappy_compress(input, input.count, &compressed, &compressedLength) == SNAPPY_OK)
        var output = [CChar](repeating: 0, count: 64)
        var outputLength = output.count
        #expect(snappy_uncompress(compressed, compressedLength, &output, &outputLength) == SNAPPY_OK)
        #expect(output == input)
    }
}
