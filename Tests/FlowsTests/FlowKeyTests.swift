import Flows
import Testing
import Wire

@Suite struct FlowKeyTests {
    /// IPv4 and IPv6, equal addresses with different ports, addresses differing only in the high
    /// or low word: every ordering case `Endpoint.<` distinguishes.
    static let endpoints: [Endpoint] = [
        Endpoint(address: IPAddress(v4: 0xC000_0201), port: 3478),
        Endpoint(address: IPAddress(v4: 0xC000_0201), port: 50_000),
        Endpoint(address: IPAddress(v4: 0xCB00_7101), port: 1),
        Endpoint(address: IPAddress(v6High: 0x2001_0DB8_0000_0000, low: 1), port: 443),
        Endpoint(address: IPAddress(v6High: 0x2001_0DB8_0000_0000, low: 2), port: 443),
        Endpoint(address: IPAddress(v6High: 0x2001_0DB8_0000_0001, low: 1), port: 80),
        Endpoint(address: IPAddress(v6High: 0, low: 0xC000_0201), port: 3478),
    ]

    /// The packet path orders endpoints with its own inlined comparison; it must agree with
    /// `Endpoint.<`, which the judge and reports use to name a flow's low end.
    @Test func directedKeyAgreesWithEndpointOrder() {
        for x in Self.endpoints {
            for y in Self.endpoints {
                let (key, forward) = FlowKey.directed(.udp, from: x, to: y)
                #expect(key == FlowKey(.udp, y, x))
                #expect(key.low == (y < x ? y : x))
                #expect(forward == (key.low == x))
                #expect(key.lowPort == key.low.port && key.highPort == key.high.port)
            }
        }
    }
}
