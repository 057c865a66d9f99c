//! Shader text: the WGSL files of `shaders/`, embedded, with `{{TOKEN}}`s replaced per dtype and
//! variant. One text serves f32 and f64 (and the word-copy kernels every dtype), so nothing is
//! written twice.

const COMMON: &str = include_str!("../../../shaders/common.wgsl");

/// The embedded source of shader `name` (a file `shaders/{name}.wgsl`, after the shared parts
/// it uses).
fn source(name: &str) -> &'static str {
    match name {
        "copy" => include_str!("../../../shaders/copy.wgsl"),
        "fill" => include_str!("../../../shaders/fill.wgsl"),
        "convert" => include_str!("../../../shaders/convert.wgsl"),
        "unary" => include_str!("../../../shaders/unary.wgsl"),
        "binary" => include_str!("../../../shaders/binary.wgsl"),
        "compare" => include_str!("../../../shaders/compare.wgsl"),
        "where" => include_str!("../../../shaders/where.wgsl"),
        "reduce" => include_str!("../../../shaders/reduce.wgsl"),
        "arg_reduce" => include_str!("../../../shaders/arg_reduce.wgsl"),
        "matmul" => include_str!("../../../shaders/matmul.wgsl"),
        "gather" => include_str!("../../../shaders/gather.wgsl"),
        "index_select" => include_str!("../../../shaders/index_select.wgsl"),
        "scatter_add" => include_str!("../../../shaders/scatter_add.wgsl"),
        "conv_gemm" => concat!(
            include_str!("../../../shaders/conv_geometry.wgsl"),
            include_str!("../../../shaders/conv_gemm.wgsl")
        ),
        "matmul_lanes" => concat!(
            include_str!("../../../shaders/lanes.wgsl"),
            include_str!("../../../shaders/matmul_lanes.wgsl")
        ),
        "conv_lanes_forward" => concat!(
            include_str!("../../../shaders/conv_geometry.wgsl"),
            include_str!("../../../shaders/lanes.wgsl"),
            include_str!("../../../shaders/conv_lanes_forward.wgsl")
        ),
        "conv_lanes_input_grad" => concat!(
            include_str!("../../../shaders/conv_geometry.wgsl"),
            include_str!("../../../shaders/lanes.wgsl"),
            include_str!("../../../shaders/conv_lanes_input_grad.wgsl")
        ),
        "conv_lanes_weight_grad" => concat!(
            include_str!("../../../shaders/conv_geometry.wgsl"),
            include_str!("../../../shaders/lanes.wgsl"),
            include_str!("../../../shaders/conv_lanes_weight_grad.wgsl")
        ),
        "conv_lanes_split_sum" => include_str!("../../../shaders/conv_lanes_split_sum.wgsl"),
        "conv2d" => include_str!("../../../shaders/conv2d.wgsl"),
        "conv2d_input_grad" => include_str!("../../../shaders/conv2d_input_grad.wgsl"),
        "conv2d_weight_grad" => include_str!("../../../shaders/conv2d_weight_grad.wgsl"),
        "channel_affine" => include_str!("../../../shaders/channel_affine.wgsl"),
        "channel_dot" => include_str!("../../../shaders/channel_dot.wgsl"),
        "max_pool2d" => include_str!("../../../shaders/max_pool2d.wgsl"),
        "max_pool2d_backward" => include_str!("../../../shaders/max_pool2d_backward.wgsl"),
        "philox" => include_str!("../../../shaders/philox.wgsl"),
        other => panic!("wgpu: no shader named {other}"),
    }
}

/// The prelude plus shader `name` with every `{{KEY}}` replaced, in the order given (so a
/// substituted value may itself contain later tokens, e.g. an op body written with `{{T}}`).
pub(crate) fn render(name: &str, subs: &[(&str, String)]) -> String {
    let mut text = format!("{COMMON}\n{}", source(name));
    for (key, value) in subs {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    if let Some(at) = text.find("{{") {
        let token: String = text[at..].chars().take(24).collect();
        panic!("wgpu shader {name}: token left unreplaced at '{token}'");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_in_order() {
        let text = render(
            "unary",
            &[
                ("MATH", String::new()),
                ("OP", "return -x;".to_string()),
                ("T", "f64".to_string()),
                ("WG", "64".to_string()),
            ],
        );
        assert!(text.contains("array<f64>") && text.contains("return -x;") && text.contains("64u"));
    }
}
