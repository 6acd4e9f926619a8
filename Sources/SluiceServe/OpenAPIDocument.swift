import Foundation
import SluicePipelines

/// `GET /api/openapi.json`: an OpenAPI 3.1 document of every route and parameter, made from
/// the pipelines' declarations, with each row's fields typed from the catalogue once the
/// relation exists (a relation not loaded yet is described by its declared fields only).
struct OpenAPIDocument: Sendable {
    let service: APIService

    func render(schemas: [String: RelationSchema], base: String) -> [UInt8] {
        var paths: [String: Any] = [:]
        paths["/api/health"] = ["get": [
            "summary": "Whether the server and its database answer", "security": [[String: [String]]](),
            "responses": ["200": response("The database is up", ref: nil), "503": response("The database is unreachable", ref: "Error")],
        ]]
        paths["/api/openapi.json"] = ["get": [
            "summary": "This document", "security": [[String: [String]]](), "responses": ["200": ["description": "OpenAPI 3.1"]],
        ]]
        var components: [String: Any] = ["Error": [
            "type": "object", "required": ["detail"], "properties": ["detail": ["type": "string"]],
        ]]
        for route in service.endpoints.keys.sorted() {
            guard let table = service.endpoints[route]?.table else { continue }
            let schema = schemas[route]
            let name = Self.componentName(route)
            components[name] = rowSchema(table: table.key + table.filters + table.search + table.ordering, schema: schema)
            components[name + "Page"] = [
                "type": "object", "required": ["next", "previous", "results"],
                "properties": [
                    "next": ["type": ["string", "null"], "format": "uri"],
                    "previous": ["type": ["string", "null"], "format": "uri"],
                    "results": ["type": "array", "items": ["$ref": "#/components/schemas/\(name)"]],
                ],
            ]
            paths["/api/\(route)/"] = ["get": [
                "summary": "\(route), a page at a time (loaded by `sluice run \(table.pipeline)`)",
                "parameters": listParameters(table, schema: schema),
                "responses": [
                    "200": response("A page", ref: name + "Page"), "400": response("A parameter is wrong", ref: "Error"),
                    "401": response("No token, or a bad one", ref: "Error"), "404": response("Not loaded yet", ref: "Error"),
                    "503": response("The database is unreachable or too slow", ref: "Error"),
                ],
            ]]
            if table.hasDetailRoute {
                paths["/api/\(route)/{\(table.key[0])}/"] = ["get": [
                    "summary": "One row of \(route) by \(table.key[0])",
                    "parameters": [["name": table.key[0], "in": "path", "required": true, "schema": ["type": "string"]]],
                    "responses": [
                        "200": response("The row", ref: name), "401": response("No token, or a bad one", ref: "Error"),
                        "404": response("No such row", ref: "Error"), "503": response("The database is unreachable", ref: "Error"),
                    ],
                ]]
            }
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "Sluice", "version": "1", "description": "Read-only API over the tables Sluice pipelines load."],
            "servers": [["url": base]],
            "security": [["token": [String]()]],
            "paths": paths,
            "components": [
                "schemas": components,
                "securitySchemes": ["token": [
                    "type": "apiKey", "in": "header", "name": "Authorization",
                    "description": "`Token <key>`; make one with `sluice token create --name NAME`",
                ]],
            ],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }

    private func response(_ description: String, ref: String?) -> [String: Any] {
        guard let ref else { return ["description": description] }
        return ["description": description, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(ref)"]]]]
    }

    private func listParameters(_ table: ServedTable, schema: RelationSchema?) -> [[String: Any]] {
        var parameters: [[String: Any]] = [
            ["name": "cursor", "in": "query", "schema": ["type": "string"], "description": "Opaque; from a next or previous link"],
            ["name": "page_size", "in": "query",
             "schema": ["type": "integer", "minimum": 1, "maximum": ListRequest.maximumPageSize, "default": ListRequest.defaultPageSize]],
        ]
        if !table.ordering.isEmpty {
            parameters.append(["name": "ordering", "in": "query", "schema": ["type": "string"],
                               "description": "Comma-separated, - for descending, among: " + table.ordering.joined(separator: ", ")
                                   + "; ties are broken by " + table.key.joined(separator: ", ")])
        }
        if !table.search.isEmpty {
            parameters.append(["name": "search", "in": "query", "schema": ["type": "string"],
                               "description": "Words that must all appear (any case) in one of: " + table.search.joined(separator: ", ")])
        }
        for field in table.filters {
            let type = schema?.column(field).map { Self.jsonType($0.kind) } ?? ["type": "string"]
            for lookup in ListRequest.Lookup.allCases {
                let name = lookup == .exact ? field : "\(field)__\(lookup.rawValue)"
                let described = lookup == .in ? ["type": "string", "description": "comma-separated values"] as [String: Any] : type
                parameters.append(["name": name, "in": "query", "schema": described])
            }
        }
        return parameters
    }

    private func rowSchema(table fields: [String], schema: RelationSchema?) -> [String: Any] {
        var properties: [String: Any] = [:]
        if let schema {
            for column in schema.columns { properties[column.name] = Self.jsonType(column.kind) }
        } else {
            for field in fields { properties[field] = [String: Any]() }
        }
        return ["type": "object", "properties": properties]
    }

    static func jsonType(_ kind: ValueKind) -> [String: Any] {
        switch kind {
        case .integer: ["type": ["integer", "null"]]
        case .float: ["type": ["number", "string", "null"]]
        case .decimal: ["type": ["string", "null"], "format": "decimal"]
        case .boolean: ["type": ["boolean", "null"]]
        case .date: ["type": ["string", "null"], "format": "date"]
        case .timestamp, .localTimestamp: ["type": ["string", "null"], "format": "date-time"]
        case .json: ["type": ["object", "array", "null"]]
        case .text: ["type": ["string", "null"]]
        }
    }

    /// `cs_user_activity` → `CsUserActivity`.
    static func componentName(_ route: String) -> String {
        route.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
