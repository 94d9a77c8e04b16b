//! The OpenAPI document generated from the handlers' annotations, served at
//! `/api/openapi.json`, with Swagger UI (vendored, works offline) at `/api/docs`.

use crate::routes;
use crate::state::AppState;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(title = "defdrive", description = "Self-hosted file storage and sharing (DefDrive-compatible API)."),
    paths(
        routes::health::health,
        routes::ready::ready,
        routes::accounts::signup,
        routes::accounts::login,
        routes::upload::upload,
        routes::files::list,
        routes::stats::stats,
        routes::files::set_access,
        routes::files::delete,
        routes::files::download,
        routes::accesses::create,
        routes::accesses::list,
        routes::accesses::get,
        routes::accesses::update,
        routes::accesses::delete,
        routes::links::download,
        routes::limits::mine,
        routes::admin::list_limits,
        routes::admin::set_limits,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

pub fn docs() -> Router<AppState> {
    Router::from(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
}
