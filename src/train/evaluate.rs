//! Evaluation of a classifier on a whole dataset (eval mode, no graph) and the learned energy
//! curve E(p_true) of the loss network.

use super::models::RunModels;
use crate::data::Dataset;
use crate::learnable::LossNetwork;
use crate::loss::one_hot;
use crate::nn::Module;
use crate::{no_grad, DType, Device, Result, Tensor};

/// Loss, accuracy and predictions over a dataset.
pub struct Evaluation {
    pub loss: f64,
    pub accuracy: f64,
    pub y_true: Vec<usize>,
    pub y_pred: Vec<usize>,
}

/// Evaluates in eval mode, in batches of `batch_size`, with the method's task loss (the mean
/// over samples, batches weighted by their size). Restores training mode afterwards.
pub fn evaluate(models: &mut RunModels, data: &Dataset, batch_size: usize) -> Result<Evaluation> {
    models.set_training(false);
    let result = (|| {
        let _guard = no_grad();
        let mut loss_sum = 0.0;
        let mut y_true = Vec::with_capacity(data.len());
        let mut y_pred = Vec::with_capacity(data.len());
        let order: Vec<usize> = (0..data.len()).collect();
        for chunk in order.chunks(batch_size.max(1)) {
            let (images, labels) = data.batch(chunk, models.dtype, &models.device);
            let loss = models.loss(&images, &labels, false)?;
            loss_sum += loss.task.item() * chunk.len() as f64;
            y_pred.extend(predictions(&loss.scores));
            y_true.extend(chunk.iter().map(|&i| data.labels()[i]));
        }
        let correct = y_true.iter().zip(&y_pred).filter(|(a, b)| a == b).count();
        let n = data.len().max(1) as f64;
        Ok(Evaluation {
            loss: loss_sum / n,
            accuracy: correct as f64 / n,
            y_true,
            y_pred,
        })
    })();
    models.set_training(true);
    result
}

/// The argmax of each row of `[B, C]` scores.
pub fn predictions(scores: &Tensor) -> Vec<usize> {
    scores
        .detach()
        .argmax(1, false)
        .to_vec::<i64>()
        .into_iter()
        .map(|i| i as usize)
        .collect()
}

/// `(t, mean over true classes c of E(p, e_c))` for p with `p[c] = t` and the rest of the mass
/// spread evenly, t from 0.01 to 0.99: the seed's plot of the learned energy against the
/// probability of the true class. The loss network runs in eval mode (running statistics), so
/// the points do not influence each other.
pub fn energy_curve(net: &mut LossNetwork, classes: usize) -> Vec<(f64, f64)> {
    let points: Vec<f64> = (1..=99).map(|i| i as f64 / 100.0).collect();
    let mut p = Vec::with_capacity(points.len() * classes * classes);
    let mut labels = Vec::with_capacity(points.len() * classes);
    for &t in &points {
        for c in 0..classes {
            let rest = (1.0 - t) / (classes - 1).max(1) as f64;
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
