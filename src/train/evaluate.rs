//! Evaluation of a classifier on a whole dataset (eval mode, no graph) and the learned energy
//! curve E(p_true) of the loss network.

use super::models::RunModels;
use super::task::{argmax_rows, Accuracy, Examples, Task};
use crate::learnable::LossNetwork;
use crate::loss::one_hot;
use crate::nn::Module;
use crate::report::MultiLabelOutputs;
use crate::{no_grad, DType, Device, Result, Tensor};

/// Loss, accuracy and predictions over a dataset.
pub struct Evaluation {
    pub loss: f64,
    /// Single-label: the share of right argmaxes; multi-label: the seed's element-wise
    /// accuracy at the threshold.
    pub accuracy: f64,
    /// Single-label truth and argmax predictions (empty for multi-label data).
    pub y_true: Vec<usize>,
    pub y_pred: Vec<usize>,
    /// Multi-label truth and sigmoid scores.
    pub multilabel: Option<MultiLabelOutputs>,
}

/// Evaluates in eval mode, in batches of `batch_size`, with the loss the method trains with
/// (the learnable method's task term alone: its penalties need gradients in p and belong to
/// training), the mean over samples, batches weighted by their size. Restores training mode afterwards.
/// `threshold` decides multi-label predictions.
pub fn evaluate(models: &mut RunModels, data: &Examples, batch_size: usize, threshold: f64) -> Result<Evaluation> {
    models.set_training(false);
    let result = (|| {
        let _guard = no_grad();
        let mut loss_sum = 0.0;
        let mut accuracy = Accuracy::new(data.task(), threshold);
        let (mut y_true, mut y_pred) = (Vec::new(), Vec::new());
        let (mut hot, mut scores) = (Vec::new(), Vec::new());
        let order: Vec<usize> = (0..data.len()).collect();
        for chunk in order.chunks(batch_size.max(1)) {
            let (images, targets) = data.batch(chunk, models.dtype, &models.device);
            let loss = models.loss(&images, &targets, false)?;
            loss_sum += loss.total.item() * chunk.len() as f64;
            accuracy.add(&loss.scores, &targets)?;
            match data {
                Examples::Classes(d) => {
                    y_pred.extend(argmax_rows(&loss.scores));
                    y_true.extend(chunk.iter().map(|&i| d.labels()[i]));
                }
                Examples::Labels(d) => {
                    scores.extend(loss.scores.to_f64_vec());
                    hot.extend(chunk.iter().flat_map(|&i| d.targets_of(i).iter().copied()));
                }
            }
        }
        let multilabel = (data.task() == Task::Multilabel).then(|| MultiLabelOutputs {
            labels: data.outputs(),
            y_true: hot,
            scores,
            threshold,
        });
        Ok(Evaluation {
            loss: loss_sum / data.len().max(1) as f64,
            accuracy: accuracy.value(),
            y_true,
            y_pred,
            multilabel,
        })
    })();
    models.set_training(true);
    result
}

/// `(t, mean over true classes c of E(p, e_c))` for t from 0.01 to 0.99, the seed's plot of
/// the learned energy: single-label, p has `p[c] = t` and the rest of the mass spread evenly
/// (t is the probability of the true class); multi-label, `p[c] = t` and every other label
/// `1 - t` (t is the agreement of each sigmoid with the truth e_c). The loss network runs in
/// eval mode (running statistics), so the points do not influence each other.
pub fn energy_curve(net: &mut LossNetwork, classes: usize, task: Task) -> Vec<(f64, f64)> {
    let points: Vec<f64> = (1..=99).map(|i| i as f64 / 100.0).collect();
    let mut p = Vec::with_capacity(points.len() * classes * classes);
    let mut labels = Vec::with_capacity(points.len() * classes);
    for &t in &points {
        for c in 0..classes {
            let rest = match task {
                Task::Multiclass => (1.0 - t) / (classes - 1).max(1) as f64,
                Task::Multilabel => 1.0 - t,
            };
            p.extend((0..classes).map(|k| if k == c { t } else { rest }));
            labels.push(c as i64);
        }
    }
    let rows = labels.len();
    let (device, dtype) = net
        .parameters()
        .first()
        .map_or((Device::Cpu, DType::F32), |w| (w.device().clone(), w.dtype()));
    net.set_training(false);
    let energy = {
        let _guard = no_grad();
        let p = Tensor::from_f64s(&p, &[rows, classes], dtype, &device);
        let y = one_hot(&Tensor::from_vec(labels, &[rows], &device), classes).to_dtype(dtype);
        // Widened on the host: the device may have no float64 (wgpu without SHADER_F64).
        net.energy(&p, &y).to_f64_vec()
    };
    net.set_training(true);
    points
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let row = &energy[i * classes..(i + 1) * classes];
            (t, row.iter().sum::<f64>() / classes as f64)
        })
        .collect()
}
