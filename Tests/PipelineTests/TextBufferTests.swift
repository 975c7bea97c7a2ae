import Report
import Testing
import Wire

/// The report writers against Swift's own text: decimal digits by fixed-point pairs, RFC 5952
/// addresses, and the info column's in-place JSON escaping.
struct TextBufferTests {
    private func text(_ write: (inout TextBuffer) -> Void) -> String {
        var buffer = TextBuffer(capacity: 8)
        write(&buffer)
        return buffer.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    @Test func decimalsMatchSwiftAtEveryLength() {
        var values: [UInt64] = [0, UInt64.max, UInt64(Int64.max), 1 << 32]
        var power: UInt64 = 1
        for _ in 0..<20 {
            values += [power &- 1, power, power &+ 1, power &* 7 &+ 3]
            power &*= 10
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { values.append(generator.next() >> UInt64.random(in: 0...63)) }
        for value in values {
            #expect(text { $0.append(decimal: value) } == String(value))
            let signed = Int64(bitPattern: value)
            #expect(text { $0.append(decimal: signed) } == String(signed))
        }
        #expect(text { $0.append(decimal: Int64.min) } == String(Int64.min))
    }

    @Test func fixedWidthDecimalsKeepTheLowestDigits() {
        #expect(text { $0.append(decimal: 42, width: 6) } == "000042")
        #expect(text { $0.append(decimal: 1_234_567, width: 3) } == "567")
        #expect(text { $0.append(decimal: 123_456_789, width: 9) } == "123456789")
        #expect(text { $0.append(decimal: 5, width: 20) } == String(repeating: "0", count: 19) + "5")
    }

    @Test func addressesMatchTheirDescription() {
        var generator = SystemRandomNumberGenerator()
        func groups() -> UInt64 {
            (0..<4).reduce(0) { word, _ in
                let group: UInt64 = Bool.random(using: &generator) ? 0 : generator.next() >> UInt64.random(in: 48...63)
                return word << 16 | group
            }
        }
        var addresses = [IPAddress(v6High: 0, low: 0), IPAddress(v6High: 0, low: 0xFFFF_C000_0201)]
        for _ in 0..<5_000 {
            addresses.append(IPAddress(v6High: groups(), low: groups()))
            addresses.append(IPAddress(v4: UInt32.random(in: 0...UInt32.max)))
        }
        for address in addresses {
            #expect(text { $0.append(address) } == address.description)
            let endpoint = Endpoint(address: address, port: UInt16.random(in: 0...UInt16.max))
            #expect(text { $0.append(endpoint) } == endpoint.description)
        }
    }

    @Test func columnIsEscapedForJSONInPlace() {
        let wire: [UInt8] = [0x22, 0x41, 0x5C, 0x0A, 0x00, 0x7F, 0xC3, 0xA9, 0x22]
        let escaped = text { buffer in
            buffer.append("{\"info\":\"")
            buffer.startColumn()
            buffer.append("PT=")
            wire.withUnsafeBytes { buffer.append(raw: $0) }
            buffer.append(decimal: 7)
            buffer.escapeColumnForJSON()
            buffer.append("\"}")
        }
        #expect(escaped == "{\"info\":\"PT=\\\"A\\\\\\u000a\\u0000\u{7F}é\\\"7\"}")
        let plain = text { buffer in
            buffer.append("\"")
            buffer.startColumn()
            #expect(buffer.columnIsEmpty)
            buffer.append("len=")
            buffer.escapeColumnForJSON()
            #expect(!buffer.columnIsEmpty)
        }
        #expect(plain == "\"len=")
    }
}
