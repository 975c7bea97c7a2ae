import Testing
import Wire

@Suite struct ByteCursorTests {
    static let bytes: [UInt8] = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x01]

    @Test func readsBigEndianAndAdvances() throws {
        try Self.bytes.withUnsafeBytes { (raw) throws in
            var cursor = ByteCursor(raw)
            #expect(try cursor.read(UInt16.self) == 0x1234)
            #expect(try cursor.read(UInt32.self) == 0x5678_9ABC)
            #expect(cursor.offset == 6)
            #expect(cursor.remaining == 3)
        }
    }

    @Test func peekDoesNotMove() throws {
        try Self.bytes.withUnsafeBytes { (raw) throws in
            let cursor = ByteCursor(raw)
            #expect(try cursor.peek(UInt16.self, at: 2) == 0x5678)
            #expect(cursor.offset == 0)
            #expect(throws: DecodeError.self) { try cursor.peek(UInt16.self, at: 8) }
            #expect(throws: DecodeError.self) { try cursor.peek(UInt16.self, at: -1) }
        }
    }

    @Test func shortReadThrowsAndKeepsPosition() throws {
        try Self.bytes.withUnsafeBytes { (raw) throws in
            var cursor = ByteCursor(raw)
            try cursor.skip(8)
            #expect(throws: DecodeError.truncated(at: 8, wanted: 2)) { try cursor.read(UInt16.self) }
            #expect(cursor.offset == 8)
            #expect(throws: DecodeError.self) { try cursor.skip(2) }
            #expect(throws: DecodeError.self) { try cursor.skip(-1) }
        }
    }

    @Test func takeFencesASubParser() throws {
        try Self.bytes.withUnsafeBytes { (raw) throws in
            var cursor = ByteCursor(raw)
            var record = try cursor.take(3)
            #expect(cursor.offset == 3)
            #expect(try record.read(UInt16.self) == 0x1234)
            #expect(throws: DecodeError.self) { try record.read(UInt16.self) }  // cannot run into the next record
            #expect(throws: DecodeError.self) { try cursor.take(7) }
            #expect(throws: DecodeError.self) { try cursor.take(-1) }
        }
    }

    @Test func takeAtMostStopsAtTheEnd() {
        Self.bytes.withUnsafeBytes { raw in
            var cursor = ByteCursor(raw)
            #expect(cursor.takeAtMost(100).remaining == 9)
            #expect(cursor.isAtEnd)
            #expect(cursor.takeAtMost(-5).remaining == 0)
        }
    }

    @Test func attemptRewindsOnFailure() {
        Self.bytes.withUnsafeBytes { raw in
            var cursor = ByteCursor(raw)
            let failed: UInt64? = cursor.attempt { (c: inout ByteCursor) throws(DecodeError) in
                _ = try c.read(UInt32.self)
                return try c.read(UInt64.self)
            }
            #expect(failed == nil)
            #expect(cursor.offset == 0)
            let worked = cursor.attempt { (c: inout ByteCursor) throws(DecodeError) in try c.read(UInt8.self) }
            #expect(worked == 0x12)
            #expect(cursor.offset == 1)
        }
    }

    @Test func emptyInputIsHandled() {
        [UInt8]().withUnsafeBytes { raw in
            var cursor = ByteCursor(raw)
            #expect(cursor.isAtEnd)
            #expect(throws: DecodeError.self) { try cursor.read(UInt8.self) }
        }
    }
}
