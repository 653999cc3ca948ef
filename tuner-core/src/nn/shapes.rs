//! Shape arithmetic over layer specs: each layer's output shape, parameter counts, shortcuts.

use super::layers::{Activation, LayerSpec, Padding};

/// The shape after each of `layers`, starting with `input` (a misfit passes its input on).
pub(super) fn shapes_through(layers: &[LayerSpec], input: &[usize]) -> Vec<Vec<usize>> {
    let mut shapes = vec![input.to_vec()];
    for layer in layers {
        let cur = shapes.last().expect("starts non-empty");
        let next = layer_output(layer, cur).unwrap_or_else(|_| cur.clone());
        shapes.push(next);
    }
    shapes
}

/// Trainable parameters of `layers` fed `input`-shaped samples.
pub(super) fn params_through(layers: &[LayerSpec], input: &[usize]) -> usize {
    let shapes = shapes_through(layers, input);
    layers
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let cur = &shapes[i];
            let fan_in: usize = cur.iter().product();
            match layer {
                LayerSpec::Dense { units } => fan_in * units + units,
                LayerSpec::LayerNorm { .. } => 2 * fan_in,
                LayerSpec::Conv2d {
                    filters, kernel, ..
                } => {
                    let channels = cur.first().copied().unwrap_or(0);
                    filters * channels * kernel * kernel + filters
                }
                LayerSpec::BatchNorm2d { .. } => 2 * cur.first().copied().unwrap_or(0),
                LayerSpec::Residual { layers } => {
                    let out = shapes_through(layers, cur).pop().unwrap_or_default();
                    let projection = match shortcut(cur, &out) {
                        Ok(Shortcut::Conv { filters, .. }) => cur[0] * filters + filters,
                        Ok(Shortcut::Dense { units }) => fan_in * units + units,
                        Ok(Shortcut::Identity) | Err(_) => 0,
                    };
                    params_through(layers, cur) + projection
                }
                _ => 0,
            }
        })
        .sum()
}

/// Whether any layer (residual bodies included) has weights to train.
pub(super) fn has_weights(layers: &[LayerSpec]) -> bool {
    layers.iter().any(|l| match l {
        LayerSpec::Dense { .. } | LayerSpec::Conv2d { .. } => true,
        LayerSpec::Residual { layers } => has_weights(layers),
        _ => false,
    })
}

/// How a residual block's input reaches its output shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shortcut {
    /// The shapes agree: add the input itself.
    Identity,
    /// A 1x1 convolution with this many filters and this stride.
    Conv {
        /// Output channels.
        filters: usize,
        /// Spatial step.
        stride: usize,
    },
    /// A dense layer to this many units (flat samples).
    Dense {
        /// Output width.
        units: usize,
    },
}

/// The shortcut a residual block from `input` to `output` needs, or why none fits.
pub(crate) fn shortcut(input: &[usize], output: &[usize]) -> Result<Shortcut, String> {
    if input == output {
        return Ok(Shortcut::Identity);
    }
    match (input, output) {
        ([_], [units]) => Ok(Shortcut::Dense { units: *units }),
        ([_, h, w], [filters, oh, ow]) => (1..=(*h).max(*w))
            .find(|s| h.div_ceil(*s) == *oh && w.div_ceil(*s) == *ow)
            .map(|stride| Shortcut::Conv {
                filters: *filters,
                stride,
            })
            .ok_or_else(|| {
                format!(
                    "residual: the branch maps {input:?} to {output:?}, which no strided 1x1 \
                     convolution on the shortcut can match; keep the size with padding same, \
                     or shrink it by a whole stride"
                )
            }),
        _ => Err(format!(
            "residual: the branch maps {input:?} to {output:?}; the shortcut can only match \
             [C, H, W] to [C', H', W'] or flat to flat samples"
        )),
    }
}

/// `[C, H, W]` from a sample shape, or why `what` cannot take it.
fn image(cur: &[usize], what: &str) -> Result<[usize; 3], String> {
    match cur {
        [c, h, w] => Ok([*c, *h, *w]),
        [h, w] => Err(format!(
            "{what} takes [channels, height, width] samples but gets shape {cur:?}; add \
             .reshape([1, {h}, {w}]) before it"
        )),
        _ => Err(format!(
            "{what} takes [channels, height, width] samples but gets shape {cur:?}; start \
             with NetSpec::input_shape([channels, height, width]) or .reshape to it"
        )),
    }
}

fn spatial(
    what: &str,
    cur: &[usize],
    kernel: usize,
    stride: usize,
    padding: Padding,
) -> Result<super::modules::Window, String> {
    let input = image(cur, what)?;
    super::modules::Window::padded(input, kernel, stride, padding).map_err(|e| {
        format!("{what} ({kernel}x{kernel}, stride {stride}, padding {padding:?}) on {cur:?}: {e}")
    })
}

/// The per-sample shape after `layer` given `cur`, or what is wrong with the layer.
pub(crate) fn layer_output(layer: &LayerSpec, cur: &[usize]) -> Result<Vec<usize>, String> {
    match layer {
        LayerSpec::Dense { units } => {
            if *units == 0 {
                return Err(
                    "a dense layer needs at least 1 unit (0 or a negative count was given)".into(),
                );
            }
            if cur.len() != 1 {
                return Err(format!("a dense layer takes flat samples but gets shape {cur:?}; add .flatten() before it"));
            }
            Ok(vec![*units])
        }
        LayerSpec::Activation {
            activation: Activation::LeakyRelu(a),
        } if !a.is_finite() => Err(format!("leaky ReLU slope {a} is not finite")),
        LayerSpec::Activation {
            activation: Activation::Elu(a),
        } if !a.is_finite() => Err(format!("ELU alpha {a} is not finite")),
        LayerSpec::Activation { .. } => Ok(cur.to_vec()),
        LayerSpec::Flatten => Ok(vec![cur.iter().product()]),
        LayerSpec::Normalize { stats } => {
            let width = cur.iter().product();
            match stats.as_ref().and_then(|s| s.problem(width)) {
                Some(problem) => Err(format!("normalize: {problem}")),
                None => Ok(cur.to_vec()),
            }
        }
        LayerSpec::Dropout { rate } => {
            if !(0.0..1.0).contains(rate) {
                return Err(format!("dropout rate {rate} is outside [0, 1)"));
            }
            Ok(cur.to_vec())
        }
        LayerSpec::LayerNorm { epsilon } => {
            if !(epsilon.is_finite() && *epsilon > 0.0) {
                return Err(format!(
                    "layer-norm epsilon {epsilon} must be a positive number"
                ));
            }
            if cur.len() != 1 {
                return Err(format!("layer norm takes flat samples but gets shape {cur:?}; add .flatten() before it"));
            }
            Ok(cur.to_vec())
        }
        LayerSpec::Reshape { shape } => {
            let (from, to): (usize, usize) = (cur.iter().product(), shape.iter().product());
            if shape.is_empty() || from != to {
                return Err(format!(
                    "cannot reshape {cur:?} ({from} values) to {shape:?} ({to} values)"
                ));
            }
            Ok(shape.clone())
        }
        LayerSpec::Conv2d {
            filters,
            kernel,
            stride,
            padding,
        } => {
            if *filters == 0 {
                return Err(
                    "conv2d needs at least 1 filter (0 or a negative count was given)".into(),
                );
            }
            let w = spatial("conv2d", cur, *kernel, *stride, *padding)?;
            Ok(vec![*filters, w.out_height, w.out_width])
        }
        LayerSpec::MaxPool2d {
            pool,
            stride,
            padding,
        } => {
            let w = spatial("max_pool2d", cur, *pool, *stride, *padding)?;
            Ok(vec![w.channels, w.out_height, w.out_width])
        }
        LayerSpec::AvgPool2d {
            pool,
            stride,
            padding,
        } => {
            let w = spatial("avg_pool2d", cur, *pool, *stride, *padding)?;
            Ok(vec![w.channels, w.out_height, w.out_width])
        }
        LayerSpec::GlobalAvgPool2d | LayerSpec::GlobalMaxPool2d => {
            Ok(vec![image(cur, layer.name())?[0]])
        }
        LayerSpec::BatchNorm2d { momentum, epsilon } => {
            image(cur, "batch_norm2d")?;
            if !(0.0..1.0).contains(momentum) {
                return Err(format!(
                    "batch_norm2d momentum {momentum} is outside [0, 1); Keras uses 0.99"
                ));
            }
            if !(epsilon.is_finite() && *epsilon > 0.0) {
                return Err(format!(
                    "batch_norm2d epsilon {epsilon} must be a positive number; Keras uses 1e-3"
                ));
            }
            Ok(cur.to_vec())
        }
        LayerSpec::Residual { layers } => {
            if layers.is_empty() {
                return Err("a residual block needs at least one layer in its branch".into());
            }
            let shapes = shapes_through(layers, cur);
            for (j, inner) in layers.iter().enumerate() {
                layer_output(inner, &shapes[j]).map_err(|reason| {
                    format!("residual branch layer {j} ({}): {reason}", inner.name())
                })?;
            }
            let out = shapes.last().expect("non-empty").clone();
            shortcut(cur, &out)?;
            Ok(out)
        }
        LayerSpec::RandomFlip { .. } => {
            image(cur, "random_flip")?;
            Ok(cur.to_vec())
        }
        LayerSpec::RandomTranslation {
            height_factor,
            width_factor,
        } => {
            image(cur, "random_translation")?;
            for (name, f) in [("height", height_factor), ("width", width_factor)] {
                if !(0.0..=1.0).contains(f) {
                    return Err(format!(
                        "random_translation {name} factor {f} is outside [0, 1]"
                    ));
                }
            }
            Ok(cur.to_vec())
        }
        LayerSpec::RandomContrast { factor } => {
            image(cur, "random_contrast")?;
            if !(0.0..=1.0).contains(factor) {
                return Err(format!("random_contrast factor {factor} is outside [0, 1]"));
            }
            Ok(cur.to_vec())
        }
    }
}
