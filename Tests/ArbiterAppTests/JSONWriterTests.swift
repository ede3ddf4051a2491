@testable import ArbiterHTTP
import Foundation
import Testing

@Suite struct JSONWriterTests {
    @Test func nativeValuesKeysInByteOrder() {
        let object: [String: Any] = [
            "b": true, "a": 1, "Z": NSNull(), "é": "x", "list": [1, 2.5, "three", false] as [Any], "nested": ["k": Int64(9_007_199_254_740_993)],
            "raw": RawJSON(text: #"{"kept":[1,2]}"#),
        ]
        #expect(JSONWriter.string(object) == #"{"Z":null,"a":1,"b":true,"list":[1,2.5,"three",false],"nested":{"k":9007199254740993},"raw":{"kept":[1,2]},"é":"x"}"#)
    }

    @Test func parsedValuesRoundTripExactly() throws {
        let text = #"{"big":1795574763785037155,"f":false,"neg":-3,"pi":3.25,"t":true,"one":1,"zero":0,"s":"a\"b\\c\n\u0001/"}"#
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect(JSONWriter.string(parsed) == #"{"big":1795574763785037155,"f":false,"neg":-3,"one":1,"pi":3.25,"s":"a\"b\\c\n\u0001/","t":true,"zero":0}"#)
    }

    @Test func notFiniteIsNull() {
        #expect(JSONWriter.string([Double.nan, Double.infinity] as [Any]) == "[null,null]")
    }
}
