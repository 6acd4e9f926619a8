public import HTTPTypes

/// An error answered to the client as `{"detail": "…"}` with its status, the shape Django REST
/// framework uses, so that clients written against the original stack read it unchanged.
public struct APIError: Error, Sendable, Equatable {
    /// The HTTP status answered.
    public var status: HTTPResponse.Status
    /// One sentence for the client: what was wrong and, where it helps, what is accepted.
    public var detail: String

    public init(_ status: HTTPResponse.Status, _ detail: String) {
        self.status = status
        self.detail = detail
    }

    /// 400: a parameter the client can correct.
    public static func badRequest(_ detail: String) -> APIError { APIError(.badRequest, detail) }

    /// 404, as Django REST framework words it.
    public static let notFound = APIError(.notFound, "Not found.")

    /// 401 without credentials.
    public static let noCredentials = APIError(.unauthorized, "Authentication credentials were not provided.")

    /// 401 with a token that is unknown or revoked (the two are not told apart).
    public static let invalidToken = APIError(.unauthorized, "Invalid token.")

    /// 503: the database cannot be reached or did not answer in time; the server stays up.
    public static func unavailable(_ detail: String) -> APIError { APIError(.serviceUnavailable, detail) }
}
