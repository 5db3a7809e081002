import Glibc
import Testing
@testable import FastIO

@Suite("Error to errno mapping")
struct ErrnoMappingTests {
    @Test(arguments: [
        (404, nil, ENOENT), (nil, 1609, ENOENT), (401, nil, EACCES), (nil, 1650, EACCES),
        (403, nil, EACCES), (nil, 1680, EACCES), (409, nil, EBUSY), (400, nil, EINVAL), (nil, 1605, EINVAL),
        (402, nil, EDQUOT), (nil, 1688, EDQUOT), (nil, 1696, EDQUOT), (413, nil, EFBIG), (429, nil, EAGAIN),
        (500, nil, EIO), (502, nil, EIO), (503, nil, EIO), (504, nil, EIO), (418, nil, EIO),
    ] as [(Int?, Int?, Int32)])
    func statusAndCode(status: Int?, code: Int?, expected: Int32) {
        #expect(ErrnoMapping.errno(httpStatus: status, apiCode: code) == expected)
    }

    @Test func knownCodeWinsOverStatus() {
        // Rename conflicts were HTTP 500 + 1605 before 2026-06-14.
        #expect(ErrnoMapping.errno(httpStatus: 500, apiCode: 1605) == EINVAL)
        #expect(ErrnoMapping.errno(httpStatus: 403, apiCode: 1688) == EDQUOT)
    }

    @Test func transportFailures() {
        func errno(_ reason: TransportFailure.Reason) -> Int32 {
            FastIOError(kind: .transport(TransportFailure(reason: reason, requestMayHaveBeenSent: false)),
                        message: "x").errno
        }
        #expect(errno(.timedOut) == ETIMEDOUT)
        #expect(errno(.connectFailed) == EIO)
        #expect(errno(.resolveFailed) == EIO)
        #expect(errno(.connectionLost) == EIO)
        #expect(errno(.tlsFailed) == EIO)
    }

    @Test func callSiteOverrideForNameConflicts() {
        let error = FastIOError(kind: .api, httpStatus: 400, apiCode: 1605, message: "exists")
        #expect(error.isInvalidInput)
        #expect(error.with(errno: EEXIST).errno == EEXIST)
    }

    @Test func descriptionCarriesStatusCodeAndRoute() {
        let error = FastIOError(kind: .api, httpStatus: 404, apiCode: 1609, errorCode: "APP_ERROR_NOT_FOUND",
                                message: "Not found", route: "GET storage/details")
        #expect(error.description == "GET storage/details: HTTP 404 Not found (code 1609, APP_ERROR_NOT_FOUND)")
    }
}
