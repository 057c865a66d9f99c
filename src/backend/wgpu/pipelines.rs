//! Compiled pipelines, cached per (shader, substitutions, workgroup size), and the launch of one
//! kernel: a layout/parameter buffer, input buffers, one output buffer, one dispatch, submitted
//! at once. Bind-group layouts are cached per input count (every kernel binds the same scheme:
//! 0 = layout words, 1..=n = inputs read-only, n + 1 = output).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::context::Context;
use super::{pool, template};
use crate::{Error, Result};

/// A compiled kernel and the bind-group layout it was built with.
pub(crate) struct Kernel {
    pipeline: wgpu::ComputePipeline,
    bind_layout: Arc<wgpu::BindGroupLayout>,
    inputs: usize,
    /// Threads per workgroup along x.
    pub wg: u32,
}

#[derive(Hash, PartialEq, Eq)]
struct Key {
    shader: &'static str,
    subs: Vec<(&'static str, String)>,
    wg: u32,
}

#[derive(Default)]
struct Cache {
    kernels: HashMap<Key, Arc<Kernel>>,
    layouts: HashMap<usize, (Arc<wgpu::BindGroupLayout>, Arc<wgpu::PipelineLayout>)>,
}

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

fn entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// The kernel for `shader` with `subs` (and `{{WG}}` = `wg`) taking `inputs` input buffers,
/// compiled on first use. A shader that fails to compile is a device error carrying wgpu's
/// message (naga names the line).
pub(crate) fn kernel(
    ctx: &Context,
    shader: &'static str,
    subs: &[(&'static str, String)],
    inputs: usize,
    wg: u32,
) -> Result<Arc<Kernel>> {
    let key = Key {
        shader,
        subs: subs.to_vec(),
        wg,
    };
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = guard.get_or_insert_with(Cache::default);
    if let Some(k) = cache.kernels.get(&key) {
        return Ok(k.clone());
    }
    let (bind_layout, pipeline_layout) = cache
        .layouts
        .entry(inputs)
        .or_insert_with(|| {
            let mut entries: Vec<_> = (0..=inputs as u32).map(|b| entry(b, true)).collect();
            entries.push(entry(inputs as u32 + 1, false));
            let bgl = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("learnloss kernel bindings"),
                entries: &entries,
            });
            let pl = ctx.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("learnloss kernel layout"),
                bind_group_layouts: &[Some(&bgl)],
                immediate_size: 0,
            });
            (Arc::new(bgl), Arc::new(pl))
        })
        .clone();
    let mut all = subs.to_vec();
    all.push(("WG", wg.to_string()));
    let text = template::render(shader, &all);
    let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(shader),
        source: wgpu::ShaderSource::Wgsl(text.into()),
    });
    let pipeline = ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(shader),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        // Long substitutions (whole helper files) are named, not quoted.
        let variant: Vec<String> = subs
            .iter()
            .map(|(k, v)| {
                if v.len() <= 40 {
                    format!("{k}={v}")
                } else {
                    format!("{k}=…")
                }
            })
            .collect();
        return Err(Error::Device(format!(
            "wgpu: shader {shader} [{}] failed to compile on {}: {e}",
            variant.join(", "),
            ctx.info.name
        )));
    }
    let k = Arc::new(Kernel {
        pipeline,
        bind_layout,
        inputs,
        wg,
    });
    cache.kernels.insert(key, k.clone());
    Ok(k)
}

/// Workgroup grid for `groups` workgroups: x up to the device's limit, the rest folded into y
/// (shaders rebuild the linear index from `num_workgroups`).
pub(crate) fn grid(ctx: &Context, groups: u32) -> Result<[u32; 3]> {
    let max = ctx.limits.max_compute_workgroups_per_dimension;
    if groups <= max {
        return Ok([groups.max(1), 1, 1]);
    }
    let y = groups.div_ceil(max);
    if y > max {
        return Err(Error::Device(format!(
            "wgpu: {groups} workgroups exceed the device's grid ({max} × {max})"
        )));
    }
    Ok([max, y, 1])
}

/// The grid for one thread per element of `n`.
pub(crate) fn grid_1d(ctx: &Context, kernel: &Kernel, n: usize) -> Result<[u32; 3]> {
    let groups = u32::try_from(n.div_ceil(kernel.wg as usize))
        .map_err(|_| Error::Device(format!("wgpu: {n} threads are too many for one launch")))?;
    grid(ctx, groups)
}

/// Runs `kernel` once over `groups` with the layout words `lay`, `inputs` and `output`, and
/// submits it.
pub(crate) fn launch(
    ctx: &Context,
    kernel: &Kernel,
    lay: &[u32],
    inputs: &[&wgpu::Buffer],
    output: &wgpu::Buffer,
    groups: [u32; 3],
) {
    assert_eq!(
        inputs.len(),
        kernel.inputs,
        "wgpu launch: input count does not match the kernel"
    );
    let lay_buf = pool::take(ctx, (lay.len() * 4) as u64);
    ctx.queue.write_buffer(lay_buf.buffer(), 0, bytemuck::cast_slice(lay));
    let mut entries = vec![wgpu::BindGroupEntry {
        binding: 0,
        resource: lay_buf.buffer().as_entire_binding(),
    }];
    for (i, b) in inputs.iter().enumerate() {
        entries.push(wgpu::BindGroupEntry {
            binding: i as u32 + 1,
            resource: b.as_entire_binding(),
        });
    }
    entries.push(wgpu::BindGroupEntry {
        binding: inputs.len() as u32 + 1,
        resource: output.as_entire_binding(),
    });
    let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &kernel.bind_layout,
        entries: &entries,
    });
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes: None,
        });
        pass.set_pipeline(&kernel.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
    }
    ctx.queue.submit([encoder.finish()]);
}

/// Layout words: `[numel, rank, params (14 words), shape, then per operand offset + strides]`,
/// the format `shaders/common.wgsl` reads. Every operand has `shape`'s rank.
pub(crate) fn layout_words(shape: &[usize], params: &[u32], operands: &[(usize, &[usize])]) -> Vec<u32> {
    assert!(params.len() <= 14, "wgpu: at most 14 kernel parameters");
    let numel: usize = shape.iter().product();
    let mut w = Vec::with_capacity(16 + shape.len() * (operands.len() + 1) + operands.len());
    w.push(u32_of(numel));
    w.push(shape.len() as u32);
    w.extend_from_slice(params);
    w.resize(16, 0);
    w.extend(shape.iter().map(|&s| u32_of(s)));
    for (offset, strides) in operands {
        assert_eq!(
            strides.len(),
            shape.len(),
            "wgpu: operand rank differs from the launch shape"
        );
        w.push(u32_of(*offset));
        w.extend(strides.iter().map(|&s| u32_of(s)));
    }
    w
}

/// Launch words for an elementwise kernel over `shape` with strided `operands`, after merging
/// dimensions that every operand walks contiguously (and dropping size-1 ones): a contiguous
/// tensor becomes one dimension, so the shader's index arithmetic (integer division, slow on
/// software drivers) runs once per element instead of once per dimension.
pub(crate) fn elementwise_words(shape: &[usize], operands: &[(usize, &[usize])]) -> Vec<u32> {
    let (merged_shape, per_operand) = merge_dims(shape, operands.iter().map(|(_, st)| *st));
    let ops: Vec<(usize, &[usize])> = operands
        .iter()
        .zip(&per_operand)
        .map(|((offset, _), st)| (*offset, st.as_slice()))
        .collect();
    layout_words(&merged_shape, &[], &ops)
}

/// `shape` with size-1 dims dropped and adjacent dims folded where every operand (given by its
/// strides) walks them contiguously: the merged shape and each operand's merged strides. The
/// elements keep their row-major order.
pub(crate) fn merge_dims<'a>(
    shape: &[usize],
    operand_strides: impl Iterator<Item = &'a [usize]> + Clone,
) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut dims: Vec<(usize, Vec<usize>)> = Vec::new();
    for (d, &size) in shape.iter().enumerate() {
        if size == 1 {
            continue;
        }
        let strides: Vec<usize> = operand_strides.clone().map(|st| st[d]).collect();
        if let Some((last_size, last_strides)) = dims.last_mut() {
            // The previous (outer) dim folds into this one when, for every operand, stepping it
            // is the same as stepping this one `size` times.
            if last_strides
                .iter()
                .zip(&strides)
                .all(|(&outer, &inner)| outer == inner * size)
            {
                *last_size *= size;
                *last_strides = strides;
                continue;
            }
        }
        dims.push((size, strides));
    }
    let merged_shape: Vec<usize> = dims.iter().map(|(s, _)| *s).collect();
    let operands = operand_strides.count();
    let per_operand: Vec<Vec<usize>> = (0..operands)
        .map(|k| dims.iter().map(|(_, st)| st[k]).collect())
        .collect();
    (merged_shape, per_operand)
}

/// Sizes, strides and offsets travel as 32-bit words; larger tensors are beyond one binding.
pub(crate) fn u32_of(x: usize) -> u32 {
    u32::try_from(x).unwrap_or_else(|_| panic!("wgpu: {x} does not fit in a 32-bit index"))
}
