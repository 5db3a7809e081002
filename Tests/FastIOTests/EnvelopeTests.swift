import Foundation
import Glibc
import Testing
@testable import FastIO

@Suite("Envelope decoding")
struct EnvelopeTests {
    private func payload(_ text: String, status: Int = 200) -> Result<JSONValue, FastIOError> {
        APIEnvelope.payload(status: status, body: Data(text.utf8), route: "GET test")
    }

    @Test func wrappedShapeWithYesResult() throws {
        let result = payload(#"{"result":"yes","response":{"node":{"id":"x"}},"current_api_version":"1.0"}"#)
        let value = try result.get()
        #expect(value["node"]?["id"]?.stringValue == "x")
        #expect(value["current_api_version"] == nil)
    }

    @Test func topLevelShapeWithBooleanResult() throws {
        let value = try payload(#"{"result":true,"node":{"id":"y"},"current_api_version":"1.0"}"#).get()
        #expect(value["node"]?["id"]?.stringValue == "y")
        #expect(value["result"] == nil)
        #expect(value["current_api_version"] == nil)
    }

    @Test func falseResultOn200IsAnError() {
        let result = payload(#"{"result":"no","error":{"code":1605,"text":"bad"}}"#)
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(error.apiCode == 1605)
        #expect(error.message == "bad")
        #expect(error.errno == EINVAL)
    }

    @Test func numericErrorCode() {
        let error = APIEnvelope.error(status: 401, body: Data(#"{"result":false,"error":{"code":1650,"text":"Authentication Invalid","error_code":"APP_AUTH_INVALID"}}"#.utf8), route: nil)
        #expect(error.httpStatus == 401)
        #expect(error.apiCode == 1650)
        #expect(error.errorCode == "APP_AUTH_INVALID")
        #expect(error.message == "Authentication Invalid")
        #expect(error.errno == EACCES)
    }

    @Test func stringErrorCodeAndMessageKey() {
        let error = APIEnvelope.error(status: 405, body: Data(#"{"result":"no","error":{"code":"405","message":"Method not allowed"}}"#.utf8), route: nil)
        #expect(error.apiCode == 405)
        #expect(error.message == "Method not allowed")
    }

    @Test func codesLargerThan32Bits() {
        let error = APIEnvelope.error(status: 400, body: Data(#"{"result":false,"error":{"code":"9999999999","text":"x"}}"#.utf8), route: nil)
        #expect(error.apiCode == 9_999_999_999)
    }

    @Test func flatErrorMessageVariant() {
        let error = APIEnvelope.error(status: 409, body: Data(#"{"result":false,"error_message":"cannot cancel","error_id":"abc","error_code":"APP_CONFLICT"}"#.utf8), route: nil)
        #expect(error.message == "cannot cancel")
        #expect(error.errorCode == "APP_CONFLICT")
        #expect(error.errno == EBUSY)
    }

    @Test func nonJSONErrorBodyFallsBackToStatus() {
        let error = APIEnvelope.error(status: 502, body: Data("<html>Bad gateway</html>".utf8), route: "GET x")
        #expect(error.httpStatus == 502)
        #expect(error.message == "Bad Gateway")
        #expect(error.errno == EIO)
        #expect(error.apiCode == nil)
    }

    @Test func nonJSONSuccessIsInvalidResponse() {
        guard case .failure(let error) = payload("not json") else { Issue.record("expected failure"); return }
        #expect(error.kind == .invalidResponse)
        #expect(error.errno == EIO)
    }

    @Test func errorWithoutResultKeyOn200() {
        guard case .failure(let error) = payload(#"{"error":{"code":1609,"text":"gone"}}"#) else {
            Issue.record("expected failure"); return
        }
        #expect(error.errno == ENOENT)
    }

    @Test func largeNumericIDsStayExact() throws {
        let value = try payload(#"{"result":true,"id":3117763504443666597,"big":18446744073709551615}"#).get()
        #expect(value["id"]?.stringValue == "3117763504443666597")
        #expect(value["big"]?.stringValue == "18446744073709551615")
    }
}
