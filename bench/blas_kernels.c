/*
** The BLAS kernels qaudit uses, at the bench's sizes (N = 5,000, D = 768):
** the kNN Gram tiles in double and in float32, the covariance (dsyrk) and
** CKA's cross product; best of three, CPU seconds of the process (so that
** with one thread the numbers hold on a busy machine).  For the kernel
** comparison of docs/performance.md:
**   OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Prescott|Haswell|SkylakeX build/blas_kernels
** and against Debian's BLIS (libblis-dev, not a dependency of qaudit):
**   cc -O2 -I/usr/include/x86_64-linux-gnu/blis-openmp bench/blas_kernels.c \
**     -L/usr/lib/x86_64-linux-gnu/blis-openmp -lblis \
**     -Wl,-rpath,/usr/lib/x86_64-linux-gnu/blis-openmp -o /tmp/blas_kernels_blis
**   OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 /tmp/blas_kernels_blis
*/
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(void){
  int n=5000,d=768,tile=2048;
  double *X=malloc((size_t)n*d*8),*G=malloc((size_t)tile*tile*8),*C=malloc((size_t)d*d*8);
  float *F=malloc((size_t)n*d*4),*H=malloc((size_t)tile*tile*4);
  for(size_t i=0;i<(size_t)n*d;i++){X[i]=rand()/(double)RAND_MAX-0.5;F[i]=(float)X[i];}
  double best[4]={1e9,1e9,1e9,1e9};
  for(int rep=0;rep<3;rep++){
    double t0=now();
    for(int i0=0;i0<n;i0+=tile)for(int j0=i0;j0<n;j0+=tile){int r=n-i0<tile?n-i0:tile,c=n-j0<tile?n-j0:tile;
      cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasTrans,r,c,d,1.0,X+(size_t)i0*d,d,X+(size_t)j0*d,d,0.0,G,c);}
    double t1=now();
    for(int i0=0;i0<n;i0+=tile)for(int j0=i0;j0<n;j0+=tile){int r=n-i0<tile?n-i0:tile,c=n-j0<tile?n-j0:tile;
      cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,r,c,d,1.0f,F+(size_t)i0*d,d,F+(size_t)j0*d,d,0.0f,H,c);}
    double t2=now();
    cblas_dsyrk(CblasRowMajor,CblasUpper,CblasTrans,d,n,1.0,X,d,0.0,C,d);
    double t3=now();
    cblas_dgemm(CblasRowMajor,CblasTrans,CblasNoTrans,d,d,n,1.0,X,d,X,d,0.0,C,d);
    double t4=now();
    double t[4]={t1-t0,t2-t1,t3-t2,t4-t3};
    for(int k=0;k<4;k++) if(t[k]<best[k]) best[k]=t[k];
  }
  /* Flops actually computed: the tiles on and above the diagonal. */
  double area = 0;
  for (int i0 = 0; i0 < n; i0 += tile)
    for (int j0 = i0; j0 < n; j0 += tile)
      area += (double)(n - i0 < tile ? n - i0 : tile) * (n - j0 < tile ? n - j0 : tile);
  double fl[4] = {2.0 * area * d, 2.0 * area * d, (double)n * d * (d + 1), 2.0 * n * d * d};
  const char *name[4]={"dgemm kNN Gram tiles","sgemm kNN Gram tiles","dsyrk covariance","dgemm CKA cross"};
  for(int k=0;k<4;k++) printf("%-22s %7.3f s  %6.1f GFLOP/s\n",name[k],best[k],fl[k]/best[k]/1e9);
  return 0;}
